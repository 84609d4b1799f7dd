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
    private final Supplier<Mono<Void>> end;
    /** The shutdown holding the connection open (a wait for the peer), if any. */
    private Disposable holding;
    /** A signal has claimed this connection: it must not start holding. */
    private boolean ending;

    private Slot(Supplier<Mono<Void>> end) {
      this.end = end;
    }

    /**
     * Starts holding the connection open unless a signal got there first.
     *
     * @param start subscribes the holding shutdown
     * @return false when a signal is ending the connection: run the final shutdown instead
     */
    synchronized boolean hold(Supplier<Disposable> start) {
      if (ending) {
        return false;
      }
      holding = start.get();
      return true;
    }

    /** @return the holding shutdown to cancel, or null; from now on the slot does not hold */
    private synchronized Disposable claimForSignal() {
      ending = true;
      return holding;
    }
  }

  private final Set<Slot> open = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean finished = new AtomicBoolean();
  private final AtomicInteger ended = new AtomicInteger();
  private final CountDownLatch allEnded = new CountDownLatch(1);
  private final Integer accept;
  /** Completes when the flux of connections has ended (after stop accepting, once handshakes under way settled). */
  private final Sinks.Empty<Void> acceptsEnded = Sinks.empty();

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

  /** @return {@code connections}, watched so that a signal waits for the last of them */
  <T> Flux<T> watch(Flux<T> connections) {
    return connections.doFinally(signal -> acceptsEnded.tryEmitEmpty());
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
   * A signal, after the server stopped accepting: waits (up to {@code max}) for the connections
   * whose handshake was under way to arrive, then every held connection ends by its final
   * shutdown; one not yet holding ends instead of starting to hold; one already ending is waited
   * for (it finishes within its own deadline).
   */
  void endAll(Duration max) {
    acceptsEnded.asMono().timeout(max, Mono.empty()).block();
    Flux.fromIterable(Set.copyOf(open))
        .flatMap(
            s -> {
              Disposable h = s.claimForSignal();
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
