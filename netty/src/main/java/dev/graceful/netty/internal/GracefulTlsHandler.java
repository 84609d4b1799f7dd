package dev.graceful.netty.internal;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.ssl.SslCloseCompletionEvent;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;

/**
 * Sits right after the {@code SslHandler} (or the SNI handler that puts one in its own place once
 * the client's hello arrived): tells the engine about the peer's close_notify, the plaintext that
 * arrives, the {@code SslHandler}'s failures and the channel's end, and the connection about the
 * handshake's end. It keeps Netty's close-completion event from reactor-netty, which would close
 * the channel at once: after a TLS 1.3 half-close the response must still go out, and graceful
 * answers the close_notify itself. While a server shutdown holds closes, a close from above waits
 * for graceful's own.
 */
public final class GracefulTlsHandler extends ObservingHandler {
  /** The name it has in a pipeline. */
  public static final String NAME = "graceful.tls";

  private final NettyTlsEngine engine;
  private final Runnable onPeerClose;
  private final Runnable onHandshakeEnd;

  /**
   * @param engine the connection's engine
   * @param onPeerClose runs on the event loop when the peer's close_notify arrived
   * @param onHandshakeEnd runs on the event loop when the handshake ended, done or failed
   */
  public GracefulTlsHandler(NettyTlsEngine engine, Runnable onPeerClose, Runnable onHandshakeEnd) {
    super(engine);
    this.engine = engine;
    this.onPeerClose = onPeerClose;
    this.onHandshakeEnd = onHandshakeEnd;
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof SslCloseCompletionEvent e && e.isSuccess()) {
      engine.onPeerCloseNotify();
      onPeerClose.run();
      return; // not passed on: graceful answers, after the exchange in flight
    }
    if (evt instanceof SslHandshakeCompletionEvent) {
      onHandshakeEnd.run();
    }
    ctx.fireUserEventTriggered(evt);
  }
}
