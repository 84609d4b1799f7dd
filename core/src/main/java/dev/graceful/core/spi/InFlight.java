package dev.graceful.core.spi;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * G2 for one connection: counts its exchanges in flight and tells a server shutdown when there are
 * none. Thread-safe; an exchange may begin and end on any thread.
 */
public final class InFlight {
  private final AtomicInteger count = new AtomicInteger();
  private volatile Sinks.Empty<Void> idle = idleNow();

  /** Nothing in flight yet. */
  public InFlight() {}

  private static Sinks.Empty<Void> idleNow() {
    Sinks.Empty<Void> s = Sinks.empty();
    s.tryEmitEmpty();
    return s;
  }

  /** One exchange began. */
  public synchronized void begin() {
    if (count.getAndIncrement() == 0) {
      idle = Sinks.empty();
    }
  }

  /** One exchange ended; more ends than begins are ignored. */
  public synchronized void end() {
    if (count.get() == 0) {
      return;
    }
    if (count.decrementAndGet() == 0) {
      idle.tryEmitEmpty();
    }
  }

  /**
   * @param exchange the work
   * @return {@code exchange}, counted from subscription until it terminates or is cancelled
   */
  public Mono<Void> count(Mono<Void> exchange) {
    Objects.requireNonNull(exchange, "exchange");
    return Mono.defer(
        () -> {
          begin();
          return exchange.doFinally(s -> end());
        });
  }

  /**
   * @return exchanges in flight now
   */
  public int size() {
    return count.get();
  }

  /**
   * @return completes when no exchange is in flight (at once if none is now)
   */
  public Mono<Void> idle() {
    return Mono.defer(() -> idle.asMono());
  }
}
