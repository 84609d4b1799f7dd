package dev.graceful.netty.internal;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.ssl.SslCloseCompletionEvent;
import io.netty.util.AttributeKey;

/**
 * On a client connection: marks the channel as closing as soon as its peer said it will close: its
 * close_notify, its FIN (input shut down), an HTTP/2 GOAWAY, or a response saying {@code
 * Connection: close}. Every message and event passes on unchanged.
 */
public final class PeerClosingWatch extends ChannelInboundHandlerAdapter {
  /** The name it has in a pipeline. */
  public static final String NAME = "graceful.peerClosing";

  private static final AttributeKey<Boolean> CLOSING = AttributeKey.valueOf("graceful.peerClosing");

  /**
   * @param channel a client connection
   * @return whether it must not carry another request: closed, or its peer said it will close
   */
  public static boolean closing(Channel channel) {
    if (!channel.isActive() || Boolean.TRUE.equals(channel.attr(CLOSING).get())) {
      return true;
    }
    Http2FrameCodec h2 = channel.pipeline().get(Http2FrameCodec.class);
    return h2 != null && h2.connection().goAwayReceived();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof Http2GoAwayFrame
        || (msg instanceof HttpResponse r
            && r.headers()
                .containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE, true))) {
      mark(ctx.channel());
    }
    ctx.fireChannelRead(msg);
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof SslCloseCompletionEvent || evt instanceof ChannelInputShutdownEvent) {
      mark(ctx.channel());
    }
    ctx.fireUserEventTriggered(evt);
  }

  private static void mark(Channel channel) {
    channel.attr(CLOSING).set(Boolean.TRUE);
  }
}
