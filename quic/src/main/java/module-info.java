/** QUIC shutdown on Kwik: SSL_shutdown_ex semantics. */
module dev.graceful.quic {
  requires transitive dev.graceful.core;
  requires tech.kwik.core;

  exports dev.graceful.quic;
}
