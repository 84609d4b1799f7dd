package dev.graceful.netty.internal;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;

/** Sees the client's WebSocket close frame go by (and passes it on to reactor-netty). */
public final class CloseFrameWatch extends ChannelInboundHandlerAdapter {
  /** The name it has in a pipeline. */
  public static final String NAME = "graceful.wsClose";

  private final Runnable onCloseFrame;

  /**
   * @param onCloseFrame runs on the event loop when the close frame arrives
   */
  public CloseFrameWatch(Runnable onCloseFrame) {
    this.onCloseFrame = onCloseFrame;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof CloseWebSocketFrame) {
      onCloseFrame.run();
    }
    ctx.fireChannelRead(msg);
  }
}
