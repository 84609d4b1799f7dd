package dev.graceful.core.spi;

import java.util.Objects;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * G2 for one connection: counts its exchanges in flight and tells a server shutdown when there are
 * none. Thread-safe; an exchange may begin and end on any thread. An idle connection holds no sink:
 * one exists only while exchanges are in flight (a server may track tens of thousands).
 */
public final class InFlight {
  private int count; // guarded by this

  /** Ends when the exchanges in flight have; null while there are none. Guarded by this. */
  private Sinks.@Nullable Empty<Void> idle;

  /** Nothing in flight yet. */
  public InFlight() {}

  /** One exchange began. */
  public synchronized void begin() {
    if (count++ == 0) {
      idle = Sinks.empty();
    }
  }

  /** One exchange ended; more ends than begins are ignored. */
  public void end() {
    Sinks.Empty<Void> ended;
    synchronized (this) {
      if (count == 0 || --count > 0) {
        return;
      }
      ended = idle;
      idle = null;
    }
    if (ended != null) {
      ended.tryEmitEmpty();
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
  public synchronized int size() {
    return count;
  }

  /**
   * @return completes when no exchange is in flight (at once if none is now)
   */
  public Mono<Void> idle() {
    return Mono.defer(
        () -> {
          Sinks.Empty<Void> s;
          synchronized (this) {
            s = idle;
          }
          return s == null ? Mono.empty() : s.asMono();
        });
  }
}
