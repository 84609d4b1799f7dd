/**
 * QUIC shutdown of Netty QuicChannels: the SSL_shutdown_ex semantics of graceful-quic on Netty's
 * QUIC codec.
 */
module dev.graceful.netty.quic {
  requires static transitive org.jspecify;
  requires transitive dev.graceful.core;
  requires transitive dev.graceful.quic; // QuicShutdown and QuicCloseArguments, shared by backends
  requires transitive io.netty.transport;
  requires io.netty.buffer;
  requires io.netty.common;
  requires transitive io.netty.codec.classes.quic;

  exports dev.graceful.netty.quic;
}
