/** What graceful's tests and demos share: certificates, peers, relays, log capture. */
module dev.graceful.testkit {
  requires transitive dev.graceful.core;
  requires transitive java.logging;
  requires org.bouncycastle.pkix;
  requires org.bouncycastle.provider;
  requires org.bouncycastle.util;
  requires static org.assertj.core;
  requires static reactor.blockhound; // only for the allowance of Netty's allocator lock

  exports dev.graceful.testkit;
}
