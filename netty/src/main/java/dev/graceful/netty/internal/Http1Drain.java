package dev.graceful.netty.internal;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;

/**
 * An HTTP/1.1 connection being drained, right after the HTTP codec (so the last to see a response
 * before it is encoded, after reactor-netty's own handlers, and the first to see a request).
 *
 * <p>Outbound, RFC 9112 §9.6: every final response head says {@code Connection: close}, the one in
 * flight included when its head has not gone out yet, so that the client sends no further request
 * on a connection about to close. The header goes on a copy of the head: the application's thread
 * may still read the response it wrote. Informational responses (an upgrade's 101) pass untouched.
 *
 * <p>Inbound: a request that arrives once the connection was told to close (a response saying
 * {@code Connection: close} went out, or the connection's shutdown began) is not dispatched to the
 * application: it and its body are dropped and counted, and the client sees the connection close
 * without a response, which tells it the request was not processed and may be retried. A request
 * arriving before that is dispatched, and counts as in flight until its response's last part has
 * been written.
 */
public final class Http1Drain extends ChannelDuplexHandler {
  /** The name it has in a pipeline. */
  public static final String NAME = "graceful.h1Drain";

  private final Admission admission;
  private boolean told;
  private boolean dropping;
  private int inFlight;

  /**
   * @param admission the connection's admission
   */
  public Http1Drain(Admission admission) {
    this.admission = admission;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof HttpRequest) {
      dropping = told || !admission.admit();
      if (dropping) {
        admission.refused();
      } else {
        inFlight++;
      }
    }
    if (dropping && (msg instanceof HttpRequest || msg instanceof HttpContent)) {
      ReferenceCountUtil.release(msg);
      // the application, which would ask for more once it handled a request, never sees this one:
      // keep reading, or the peer's close (its close_notify, its FIN) would never be read
      if (!ctx.channel().config().isAutoRead()) {
        ctx.read();
      }
      return;
    }
    ctx.fireChannelRead(msg);
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    Object out = msg;
    if (msg instanceof HttpResponse r && r.status().code() >= 200) {
      out = saysClose(r);
      told = true;
    }
    if (out instanceof LastHttpContent && inFlight > 0) {
      // after a response that said close, requests pipelined behind it get no response here
      // (reactor-netty closes instead): they no longer count either
      int ended = told ? inFlight : 1;
      inFlight -= ended;
      ChannelPromise p = promise.unvoid();
      p.addListener(
          f -> {
            for (int i = 0; i < ended; i++) {
              admission.done();
            }
          });
      ctx.write(out, p);
      return;
    }
    ctx.write(out, promise);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    release();
    ctx.fireChannelInactive();
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    release();
  }

  /** Requests whose response will never be written no longer count. */
  private void release() {
    for (; inFlight > 0; inFlight--) {
      admission.done();
    }
  }

  private static Object saysClose(HttpResponse r) {
    if (r.headers().containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE, true)) {
      return r;
    }
    HttpResponse copy;
    if (r instanceof FullHttpResponse full) {
      copy = full.replace(full.content()); // the same content, headers copied
    } else if (!(r instanceof HttpContent)) {
      copy = new DefaultHttpResponse(r.protocolVersion(), r.status(), r.headers().copy());
    } else {
      return r; // a head with part of a body: no such response comes from reactor-netty
    }
    copy.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    return copy;
  }
}
