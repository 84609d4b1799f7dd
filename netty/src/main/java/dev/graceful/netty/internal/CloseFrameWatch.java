package dev.graceful.netty.internal;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import reactor.core.publisher.Sinks;

/** Sees the client's WebSocket close frame go by (and passes it on to reactor-netty). */
public final class CloseFrameWatch extends ChannelInboundHandlerAdapter {
  /** The name it has in a pipeline. */
  public static final String NAME = "graceful.wsClose";

  private final Sinks.Empty<Void> answered;

  /** @param answered completed when the close frame arrives */
  public CloseFrameWatch(Sinks.Empty<Void> answered) {
    this.answered = answered;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof CloseWebSocketFrame) {
      answered.tryEmitEmpty();
    }
    ctx.fireChannelRead(msg);
  }
}
