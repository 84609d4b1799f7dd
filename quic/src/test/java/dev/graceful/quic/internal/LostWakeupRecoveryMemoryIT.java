package dev.graceful.quic.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graceful.testkit.SelfSignedCertificate;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.URI;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import tech.kwik.core.QuicClientConnection;
import tech.kwik.core.QuicStream;
import tech.kwik.core.log.NullLogger;
import tech.kwik.core.server.ApplicationProtocolConnection;
import tech.kwik.core.server.ServerConnectionConfig;
import tech.kwik.core.server.ServerConnector;

/**
 * The lost-wakeup recovery remembers only the streams Kwik holds: a stream opened on the Kwik
 * connection directly, looked at while open, is forgotten once Kwik forgets it, so a long
 * connection does not keep every stream it ever had. Real Kwik client and server on loopback.
 */
class LostWakeupRecoveryMemoryIT {
  static final Duration WAIT = Duration.ofSeconds(30);

  @Tag("Q5")
  @Test
  void aStreamKwikForgotIsForgottenToo() throws Exception {
    SelfSignedCertificate cert = SelfSignedCertificate.generate();
    KeyStore keys = KeyStore.getInstance("PKCS12");
    keys.load(null, null);
    keys.setKeyEntry(
        "server",
        cert.keys().getPrivate(),
        "graceful".toCharArray(),
        new X509Certificate[] {cert.certificate()});
    int port;
    try (DatagramSocket probe = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
      port = probe.getLocalPort();
    }
    ServerConnector server =
        ServerConnector.builder()
            .withPort(port)
            .withKeyStore(keys, "server", "graceful".toCharArray())
            .withConfiguration(
                ServerConnectionConfig.builder()
                    .maxIdleTimeoutInSeconds(30)
                    .maxOpenPeerInitiatedUnidirectionalStreams(10)
                    .build())
            .withLogger(new NullLogger())
            .build();
    server.registerApplicationProtocol(
        "graceful",
        (protocol, connection) ->
            new ApplicationProtocolConnection() {
              @Override
              public void acceptPeerInitiatedStream(QuicStream stream) {
                Thread t =
                    new Thread(
                        () -> {
                          try {
                            stream.getInputStream().readAllBytes(); // to its end
                          } catch (java.io.IOException ended) {
                            // the connection ended
                          }
                        });
                t.setDaemon(true);
                t.start();
              }
            });
    server.start();
    try {
      KeyStore trusted = KeyStore.getInstance("PKCS12");
      trusted.load(null, null);
      trusted.setCertificateEntry("server", cert.certificate());
      QuicClientConnection client =
          QuicClientConnection.newBuilder()
              .uri(URI.create("https://localhost:" + port))
              .proxy("127.0.0.1")
              .applicationProtocol("graceful")
              .customTrustStore(trusted)
              .logger(new NullLogger())
              .build();
      client.connect();
      TrackedStreams streams = new TrackedStreams(client);
      LostWakeupRecovery recovery = new LostWakeupRecovery(Runnable::run, streams);

      QuicStream direct = client.createStream(false); // not graceful's: found in Kwik's internals
      direct.getOutputStream().write(new byte[1000]);
      recovery.restartStalledStreams(0);
      assertThat(recovery.remembered()).as("the open stream is looked at").isEqualTo(1);

      direct.getOutputStream().close(); // its FIN: once acknowledged, Kwik forgets the stream
      Mono.fromCallable(() -> KwikInternals.streams(client).orElseThrow().isEmpty())
          .filter(Boolean::booleanValue)
          .repeatWhenEmpty(r -> r.delayElements(Duration.ofMillis(1)))
          .block(WAIT);
      recovery.restartStalledStreams(1);
      assertThat(recovery.remembered()).as("a stream Kwik forgot is not kept").isZero();
      client.close();
    } finally {
      server.close();
    }
  }
}
