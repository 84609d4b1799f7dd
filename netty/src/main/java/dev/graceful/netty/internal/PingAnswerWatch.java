package dev.graceful.netty.internal;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.DefaultHttp2GoAwayFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2PingFrame;

/**
 * Sees the answer to graceful's HTTP/2 PING go by and sends the final GOAWAY (the last stream the
 * server took); other frames pass.
 */
public final class PingAnswerWatch extends ChannelInboundHandlerAdapter {
  /** The name it has in a pipeline. */
  public static final String NAME = "graceful.h2Ping";

  /** "graceful" in ASCII: the PING's 8 bytes. */
  public static final long PAYLOAD = 0x67726163_6566756CL;

  private final Runnable onFinalGoAway;

  /**
   * @param onFinalGoAway runs on the event loop once the final GOAWAY is written
   */
  public PingAnswerWatch(Runnable onFinalGoAway) {
    this.onFinalGoAway = onFinalGoAway;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof Http2PingFrame ping && ping.ack() && ping.content() == PAYLOAD) {
      ctx.pipeline().remove(this);
      ctx.writeAndFlush(new DefaultHttp2GoAwayFrame(Http2Error.NO_ERROR))
          .addListener(f -> onFinalGoAway.run());
      return;
    }
    ctx.fireChannelRead(msg);
  }
}
