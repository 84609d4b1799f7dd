package dev.graceful.netty;

import dev.graceful.netty.internal.CloseFrameWatch;
import io.netty.channel.Channel;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.netty.NettyPipeline;
import reactor.netty.channel.ChannelOperations;
import reactor.netty.http.websocket.WebsocketOutbound;

/**
 * RFC 6455 §7.1.2 for a server going away: a close frame (1001) through reactor-netty's WebSocket,
 * which then closes the channel at once; that close is held until graceful's own, after the
 * client's close frame and the connection's shutdown. The connection's notice settles when the
 * client's close frame arrives, or (TLS) its close_notify, or the channel closes.
 */
final class WebSocketGoingAway {
  /** How often, and how many times, a WebSocket upgrade under way is looked at again. */
  static final Duration UPGRADE_LOOK = Duration.ofMillis(5);

  static final int UPGRADE_LOOKS = 200;

  private WebSocketGoingAway() {}

  /**
   * @param channel a WebSocket, or an HTTP/1.1 connection upgrading to one
   * @param notice the connection's notice
   * @param tls the connection over TLS, or null
   * @param plain the connection in cleartext, or null
   * @param clock times the looks at an upgrade under way (the shutdown's scheduler, R3)
   */
  static void announce(
      Channel channel,
      ShutdownNotice notice,
      @Nullable NettyTlsConnection tls,
      @Nullable NettyCleartextConnection plain,
      Scheduler clock) {
    // a client may answer with its close_notify alone, without a close frame
    Mono<Void> answered =
        tls != null
            ? Mono.firstWithSignal(notice.settled(), tls.peerCloseNotify())
            : notice.settled();
    notice.give(
        answered,
        () -> {
          if (tls != null) {
            tls.holdCloses();
          } else if (plain != null) {
            plain.holdCloses();
          }
          closeOnceUpgraded(channel, notice, clock, 0);
        });
  }

  /**
   * Event loop: sends the close frame once reactor-netty's side of the channel is a WebSocket. An
   * upgrade can still be under way when the shutdown starts (its 101 even at the client already):
   * then it looks again every {@link #UPGRADE_LOOK} for at most {@link #UPGRADE_LOOKS} times, after
   * which the connection is shut down without a close frame. The looks are timed by {@code clock}
   * and run on the channel's event loop.
   */
  private static void closeOnceUpgraded(
      Channel channel, ShutdownNotice notice, Scheduler clock, int looks) {
    if (!channel.isActive()) {
      return;
    }
    if (!(ChannelOperations.get(channel) instanceof WebsocketOutbound ws)) {
      if (looks >= UPGRADE_LOOKS) {
        notice.settle();
      } else {
        try {
          clock.schedule(
              () -> {
                try {
                  channel
                      .eventLoop()
                      .execute(() -> closeOnceUpgraded(channel, notice, clock, looks + 1));
                } catch (RejectedExecutionException stopped) {
                  notice.settle(); // the event loop is gone, and the connection with it
                }
              },
              UPGRADE_LOOK.toNanos(),
              TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException refused) {
          notice.settle(); // the clock cannot time another look: no close frame, as after the last
        }
      }
      return;
    }
    ChannelPipeline p = channel.pipeline();
    CloseFrameWatch watch = new CloseFrameWatch(notice::settle);
    if (p.get(NettyPipeline.ReactiveBridge) != null) {
      p.addBefore(NettyPipeline.ReactiveBridge, CloseFrameWatch.NAME, watch);
    } else {
      p.addLast(CloseFrameWatch.NAME, watch);
    }
    ws.sendClose(WebSocketCloseStatus.ENDPOINT_UNAVAILABLE.code(), GracefulServer.GOING_AWAY)
        .subscribe(null, e -> {});
  }
}
