/**
 * TLS and cleartext shutdown for Netty / reactor-netty connections, graceful reactor-netty server
 * shutdown, and client eviction.
 */
module dev.graceful.netty {
  requires static transitive org.jspecify;
  requires transitive dev.graceful.core;
  requires transitive reactor.netty.core;
  requires transitive reactor.netty.http;
  requires transitive io.netty.transport;
  requires transitive io.netty.handler;
  requires io.netty.buffer;
  requires io.netty.common;
  requires io.netty.codec.http;
  requires io.netty.codec.http2;

  exports dev.graceful.netty;
}
