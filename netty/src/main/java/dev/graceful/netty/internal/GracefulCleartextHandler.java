package dev.graceful.netty.internal;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.util.ReferenceCountUtil;

/**
 * First in a cleartext channel's pipeline: tells the engine about the bytes that arrive, an I/O
 * error, and the channel's end; sees every close from above (the last outbound handler), and while
 * a server shutdown holds closes, makes it wait for graceful's own (its promise completes when the
 * channel closes).
 */
public final class GracefulCleartextHandler extends ChannelDuplexHandler {
  /** The name it has in a pipeline. */
  public static final String NAME = "graceful.cleartext";

  private final NettyCleartextEngine engine;

  /** @param engine the connection's engine */
  public GracefulCleartextHandler(NettyCleartextEngine engine) {
    this.engine = engine;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof ByteBuf b && engine.onData(b)) {
      ReferenceCountUtil.release(msg);
      return;
    }
    ctx.fireChannelRead(msg);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    engine.onError(cause);
    ctx.fireExceptionCaught(cause);
  }

  @Override
  public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
    if (engine.holdsCloses() && ctx.channel().isActive()) {
      ctx.channel().closeFuture().addListener(f -> promise.trySuccess());
      return;
    }
    if (ctx.channel().isActive()) {
      engine.onCloseFromAbove();
    }
    ctx.close(promise);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    engine.onInactive();
    ctx.fireChannelInactive();
  }
}
