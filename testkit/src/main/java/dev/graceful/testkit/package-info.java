/**
 * Test and demo support: {@link dev.graceful.testkit.SelfSignedCertificate} and {@link
 * dev.graceful.testkit.TestCerts} for loopback TLS, {@link dev.graceful.testkit.PeerProcess} for
 * real peers, {@link dev.graceful.testkit.LossyRelay} for datagram loss, {@link
 * dev.graceful.testkit.LogWatch} and {@link dev.graceful.testkit.ReportShape} for assertions.
 */
package dev.graceful.testkit;
