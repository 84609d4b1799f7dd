package dev.graceful.netty.internal;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.util.ReferenceCountUtil;

/**
 * A handler that tells a {@link ConnectionObserver} what passes through it: the bytes that arrive
 * (which the observer may consume), exceptions, the channel's end, and closes from above. While the
 * observer holds closes, a close from above waits for graceful's own: its promise completes when
 * the channel closes.
 */
public abstract class ObservingHandler extends ChannelDuplexHandler {
  private final ConnectionObserver observer;

  /**
   * @param observer the connection's observer
   */
  protected ObservingHandler(ConnectionObserver observer) {
    this.observer = observer;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof ByteBuf b && observer.onData(b)) {
      ReferenceCountUtil.release(msg);
      return;
    }
    ctx.fireChannelRead(msg);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    observer.onError(cause);
    ctx.fireExceptionCaught(cause);
  }

  @Override
  public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
    if (observer.holdsCloses() && ctx.channel().isActive()) {
      ctx.channel().closeFuture().addListener(f -> promise.trySuccess());
      return;
    }
    if (ctx.channel().isActive()) {
      observer.onCloseFromAbove();
    }
    ctx.close(promise);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    observer.onInactive();
    ctx.fireChannelInactive();
  }
}
