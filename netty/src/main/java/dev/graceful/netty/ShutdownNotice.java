package dev.graceful.netty;

import io.netty.channel.Channel;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * What one connection is told beyond its single exchanges when its server shuts down (a WebSocket's
 * close frame, HTTP/2's GOAWAYs), once, and what its idleness waits for until that has settled: the
 * client's answer, or the channel's close.
 */
final class ShutdownNotice {
  private final Channel channel;
  private final Sinks.Empty<Void> settled = Sinks.empty();
  private volatile Mono<Void> awaited = Mono.empty();
  private boolean given;

  /**
   * @param channel the connection's channel
   */
  ShutdownNotice(Channel channel) {
    this.channel = channel;
  }

  /**
   * The first notice only (a second server shutdown gives none): {@link #awaited()} will wait for
   * {@code settledWhen}, which the channel's close settles too; {@code onLoop} runs on the
   * connection's event loop.
   *
   * @param settledWhen completes when what the notice asks has been answered
   * @param onLoop gives the notice
   */
  void give(Mono<Void> settledWhen, Runnable onLoop) {
    synchronized (this) {
      if (given) {
        return;
      }
      given = true;
    }
    awaited = settledWhen;
    channel
        .eventLoop()
        .execute(
            () -> {
              channel.closeFuture().addListener(f -> settle());
              onLoop.run();
            });
  }

  /**
   * @return completes once the notice given has settled; at once when none was given
   */
  Mono<Void> awaited() {
    return Mono.defer(() -> awaited);
  }

  /**
   * @return completes once {@link #settle()} ran
   */
  Mono<Void> settled() {
    return settled.asMono();
  }

  /** The notice has been answered, or never will be. */
  void settle() {
    settled.tryEmitEmpty();
  }
}
