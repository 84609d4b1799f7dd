/** TLS and DTLS shutdown on the JDK's SSLEngine: connections, servers, transports. */
module dev.graceful.tls {
  requires static transitive org.jspecify;
  requires transitive dev.graceful.core;
  requires static reactor.blockhound;

  exports dev.graceful.tls;
}
