package dev.graceful.spring;

import dev.graceful.netty.GracefulServer;
import java.util.Objects;
import reactor.core.publisher.Mono;

/**
 * G8: tells long-lived exchanges (server-sent events, WebSockets, streaming responses) that the
 * server has begun to drain, so that they finish cleanly within the grace period: a final event, a
 * close frame with status 1001 (going away). A bean of the starter; inject it into a handler.
 *
 * <p>A stream of server-sent events ends with a last event once draining begins:
 *
 * <pre>{@code
 * ticks.takeUntilOther(signal.draining())
 *     .concatWith(Mono.just(ServerSentEvent.builder("bye").event("bye").build()))
 * }</pre>
 *
 * and a WebSocket handler closes with 1001 while its sending still runs:
 *
 * <pre>{@code
 * Mono.when(session.send(replies), signal.draining().then(Mono.defer(() -> session.close(CloseStatus.GOING_AWAY))))
 * }</pre>
 *
 * (ending the sending first and closing afterwards lets the client see a close without status,
 * 1005). The sample application's {@code SampleHandlers} (module {@code samples/spring}) has both,
 * whole and tested.
 */
public final class GracefulShutdownSignal {
  private final GracefulServer server;

  /**
   * @param server the tracker of the application's reactor-netty server
   */
  public GracefulShutdownSignal(GracefulServer server) {
    this.server = Objects.requireNonNull(server, "server");
  }

  /**
   * @return completes when the server's shutdown begins (at once once it has begun); never errors
   */
  public Mono<Void> draining() {
    return server.draining();
  }

  /**
   * @return whether the server's shutdown has begun
   */
  public boolean isDraining() {
    return server.isDraining();
  }
}
