package dev.graceful.samples;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * What every server subcommand keeps track of: the open connections, the {@code --accept} count,
 * and the one ending of the command (all accepted connections ended, or a signal).
 */
final class Serving {
  /** One served connection. */
  static final class Slot {
    final Sinks.Empty<Void> done = Sinks.empty();
    final AtomicBoolean reported = new AtomicBoolean();
    /** The shutdown holding the connection open (a wait for the peer), if any. */
    volatile Disposable holding;
    private final Supplier<Mono<Void>> end;

    private Slot(Supplier<Mono<Void>> end) {
      this.end = end;
    }
  }

  private final Set<Slot> open = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean finished = new AtomicBoolean();
  private final AtomicInteger ended = new AtomicInteger();
  private final CountDownLatch allEnded = new CountDownLatch(1);
  private final Integer accept;

  /** @param accept connections to serve, or null for unlimited */
  Serving(Integer accept) {
    this.accept = accept;
  }

  /**
   * @param end runs the connection's final shutdown by the mode and reports it
   * @return the new connection's slot
   */
  Slot open(Supplier<Mono<Void>> end) {
    Slot s = new Slot(end);
    open.add(s);
    return s;
  }

  /** @return true the first time only: the caller reports the connection, then calls {@link #release} */
  boolean claim(Slot s) {
    return s.reported.compareAndSet(false, true);
  }

  /** The connection's line is printed: it no longer counts as open. */
  void release(Slot s) {
    open.remove(s);
    s.done.tryEmitEmpty();
    if (accept != null && ended.incrementAndGet() >= accept) {
      allEnded.countDown();
    }
  }

  /** Waits until {@code --accept} connections have ended (forever without it). */
  void awaitAllEnded() throws InterruptedException {
    allEnded.await();
  }

  /** @return true for the first of the two endings (normal or signal), which then owns it */
  boolean finish() {
    return finished.compareAndSet(false, true);
  }

  /** @return connections open now */
  int openCount() {
    return open.size();
  }

  /**
   * A signal: every held connection ends by its final shutdown; one already ending is waited for
   * (it finishes within its own deadline).
   */
  void endAll(Duration max) {
    Flux.fromIterable(Set.copyOf(open))
        .flatMap(
            s -> {
              Disposable h = s.holding;
              if (h != null) {
                h.dispose();
                return s.end.get();
              }
              return s.done.asMono();
            })
        .then()
        .block(max);
  }
}
