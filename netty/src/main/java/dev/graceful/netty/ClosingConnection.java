package dev.graceful.netty;

import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.core.ShutdownState;
import dev.graceful.core.Shutdownable;
import dev.graceful.core.TransportPolicy;
import io.netty.channel.Channel;
import java.time.Duration;
import java.util.concurrent.TimeoutException;
import reactor.core.publisher.Mono;

/**
 * A server's connection whose every shutdown closes its channel at the end and ends only once the
 * channel is closed: Netty closes a channel asynchronously (its {@code SslHandler} first flushes
 * what is queued), so without this wait a server's report could arrive while a channel is still
 * open.
 */
final class ClosingConnection implements Shutdownable {
  /**
   * How long a connection's ending waits for its channel to close: longer than Netty's {@code
   * SslHandler} takes at most (its close_notify flush timeout, 3 s by default).
   */
  static final Duration CHANNEL_CLOSE_WAIT = Duration.ofSeconds(5);

  private final Shutdownable connection;
  private final Mono<Void> closed;

  /**
   * @param connection the connection
   * @param channel its channel
   */
  ClosingConnection(Shutdownable connection, Channel channel) {
    this.connection = connection;
    this.closed = Mono.create(sink -> channel.closeFuture().addListener(f -> sink.success()));
  }

  @Override
  public Mono<ShutdownResult> shutdown(ShutdownSpec spec) {
    // bounded, in case a handler of the application's swallows the close: then the report
    // comes anyway, and openConnections() truthfully still lists the channel
    Mono<Void> closedOrLate =
        closed
            .timeout(CHANNEL_CLOSE_WAIT, spec.scheduler())
            .onErrorResume(TimeoutException.class, e -> Mono.empty());
    return connection
        .shutdown(spec.closeTransport(TransportPolicy.CLOSE))
        .flatMap(result -> closedOrLate.thenReturn(result))
        .onErrorResume(e -> closedOrLate.then(Mono.error(e)));
  }

  @Override
  public ShutdownState shutdownState() {
    return connection.shutdownState();
  }

  @Override
  public String connectionId() {
    return connection.connectionId();
  }
}
