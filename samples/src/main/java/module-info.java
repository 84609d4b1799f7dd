/** graceful's command line. */
module dev.graceful.samples {
  requires dev.graceful.tls;
  requires dev.graceful.quic;
  requires dev.graceful.netty;
  requires dev.graceful.netty.quic; // quic-client and quic-server --stack netty
  requires io.netty.transport;
  requires io.netty.handler;
  requires io.netty.buffer;
  requires dev.graceful.testkit; // self-signed certificates for the demos
  requires io.netty.codec.http; // the demo reads WebSocket close statuses and Connection headers
  requires io.netty.common; // and waits on a channel's close future
  requires info.picocli;
  requires com.fasterxml.jackson.databind;
  requires org.bouncycastle.pkix;
  requires org.bouncycastle.provider;
  requires org.bouncycastle.util;

  opens dev.graceful.samples to
      info.picocli;
}
