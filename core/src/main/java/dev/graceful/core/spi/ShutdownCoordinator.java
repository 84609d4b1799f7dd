package dev.graceful.core.spi;

import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.core.internal.Exchanges;
import dev.graceful.core.internal.SharedExchange;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import reactor.core.publisher.Mono;

/**
 * One per connection: makes shutdown idempotent (T12, R1). Subscribers of the same spec while an
 * exchange is running share it; a different spec waits for the running one to end, then continues
 * from the state it left ("calling SSL_shutdown() again"). Nothing is sent twice because the
 * engine's own state decides what is still to send.
 */
public final class ShutdownCoordinator {
  private final ShutdownEngine engine;
  private final AtomicReference<SharedExchange> current = new AtomicReference<>();

  /** @param engine the connection's engine */
  public ShutdownCoordinator(ShutdownEngine engine) {
    this.engine = Objects.requireNonNull(engine, "engine");
  }

  /**
   * @param spec the policy
   * @return the cold shutdown
   */
  public Mono<ShutdownResult> shutdown(ShutdownSpec spec) {
    Objects.requireNonNull(spec, "spec");
    return Mono.defer(() -> join(spec));
  }

  private Mono<ShutdownResult> join(ShutdownSpec spec) {
    for (; ; ) {
      SharedExchange running = current.get();
      if (running != null) {
        if (running.spec() == spec) {
          Mono<ShutdownResult> joined = running.join();
          if (joined != null) {
            return joined;
          }
        } else if (!running.isOver()) {
          return running.awaitEnd().then(Mono.defer(() -> join(spec)));
        }
      }
      SharedExchange next = new SharedExchange(spec, Exchanges.exchange(engine, spec));
      if (current.compareAndSet(running, next)) {
        Mono<ShutdownResult> joined = next.join();
        if (joined != null) {
          return joined;
        }
      }
    }
  }
}
