/** TLS and DTLS shutdown on the JDK's SSLEngine: connections, servers, transports. */
module dev.graceful.tls {
  requires static transitive org.jspecify;
  requires transitive dev.graceful.core;
  requires static reactor.blockhound;
  // SelfSignedCertificate only; users who bring their own certificates never load BouncyCastle
  requires static org.bouncycastle.pkix;
  requires static org.bouncycastle.provider;
  requires static org.bouncycastle.util;

  exports dev.graceful.tls;
}
