/** QUIC shutdown on Kwik: SSL_shutdown_ex semantics. */
module dev.graceful.quic {
  requires static transitive org.jspecify;
  requires transitive dev.graceful.core;
  requires transitive tech.kwik.core; // its QuicConnection and QuicStream appear in our API

  exports dev.graceful.quic;
}
