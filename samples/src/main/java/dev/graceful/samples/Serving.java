package dev.graceful.samples;

import dev.graceful.core.ShutdownReport;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Supplier;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.SignalType;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Schedulers;

/**
 * What every server subcommand keeps track of: the connections whose line is not printed yet, the
 * {@code --accept} count, and the one ending of the command (all accepted connections ended, or a
 * signal, after which the server's own graceful shutdown ends the open connections).
 */
final class Serving {
  /** One served connection. */
  static final class Slot {
    final Sinks.Empty<Void> done = Sinks.empty();
    final AtomicBoolean reported = new AtomicBoolean();

    /** The shutdown holding the connection open (a wait for the peer), if any. */
    private Disposable holding;

    /** A signal has claimed this connection: it must not start holding. */
    private boolean ending;

    private Slot() {}

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

    /** From now on the slot does not hold; a hold under way is cancelled. */
    private void stopHolding() {
      Disposable h;
      synchronized (this) {
        ending = true;
        h = holding;
      }
      if (h != null) {
        h.dispose();
      }
    }
  }

  private final Set<Slot> open = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean finished = new AtomicBoolean();
  private final AtomicInteger ended = new AtomicInteger();
  private final CountDownLatch end = new CountDownLatch(1);
  private final CountDownLatch signalEnd = new CountDownLatch(1);
  private final Integer accept;
  private volatile boolean bySignal;
  private volatile int signalExitCode;

  /**
   * @param accept connections to serve, or null for unlimited
   */
  Serving(Integer accept) {
    this.accept = accept;
  }

  /**
   * @return the new connection's slot (not holding if a signal came already)
   */
  Slot open() {
    Slot s = new Slot();
    open.add(s);
    if (finished.get()) { // a signal came: its sweep may have missed this slot
      s.stopHolding();
    }
    return s;
  }

  /**
   * @return true the first time only: the caller reports the connection, then calls {@link
   *     #release}
   */
  boolean claim(Slot s) {
    return s.reported.compareAndSet(false, true);
  }

  /** The connection's line is printed: it no longer counts as open. */
  void release(Slot s) {
    open.remove(s);
    s.done.tryEmitEmpty();
    if (accept != null && ended.incrementAndGet() >= accept) {
      end.countDown();
    }
  }

  /**
   * Waits until {@code --accept} connections have ended or a signal's shutdown has printed
   * everything.
   */
  void awaitEnd() throws InterruptedException {
    end.await();
  }

  /** Waits until a signal's shutdown has printed everything. */
  void awaitSignalEnd() throws InterruptedException {
    signalEnd.await();
  }

  /**
   * @return true for the first of the two endings (normal or signal), which then owns it
   */
  boolean finish() {
    return finished.compareAndSet(false, true);
  }

  /**
   * @return true once the command is ending (a signal came, or {@code --accept} is reached)
   */
  boolean ending() {
    return finished.get();
  }

  /**
   * @return connections open now
   */
  int openCount() {
    return open.size();
  }

  /** A signal: every held connection stops holding, so that the server's shutdown ends it. */
  void stopHolding() {
    Set.copyOf(open).forEach(Slot::stopHolding);
  }

  /**
   * @param max how long to wait at most
   * @return completes once every connection still open (one that was ending by its own mode) has
   *     printed its line, or after {@code max}
   */
  Mono<Void> remaining(Duration max) {
    return Flux.defer(() -> Flux.fromIterable(Set.copyOf(open)))
        .flatMap(s -> s.done.asMono())
        .then()
        .timeout(max, Mono.empty());
  }

  /**
   * A signal's shutdown of the server, shared by every server command: unless a repeated signal or
   * the --accept ending owns it, every held connection stops holding, {@code shutdown} runs, each
   * connection in its report is printed by {@code print} (off the connections' loops: printing
   * blocks), the connections still ending by their own mode get up to {@code timeout} plus 5 s to
   * print theirs, then the summary is printed and the main thread is woken with the exit code.
   *
   * @param shutdown the server's shutdown, run at most once
   * @param print prints the lines of the report's connections
   * @param report where the summary goes
   * @param timeout the command's --timeout
   */
  void shutDownBySignal(
      Supplier<Mono<ShutdownReport>> shutdown,
      Consumer<ShutdownReport> print,
      Report report,
      Duration timeout) {
    if (!finish()) {
      return; // a repeated signal, or the --accept ending owns it
    }
    System.err.println("graceful: signal received, shutting down " + openCount() + " connections");
    stopHolding();
    shutdown
        .get()
        .publishOn(Schedulers.boundedElastic())
        .doOnNext(print)
        .then(remaining(timeout.plusSeconds(5)))
        .doOnError(e -> System.err.println("graceful: server shutdown failed: " + e))
        .onErrorResume(e -> Mono.empty())
        .doFinally(
            signal -> {
              report.summary();
              endBySignal(
                  report.anyError() || signal != SignalType.ON_COMPLETE
                      ? Main.SHUTDOWN_ERROR
                      : Main.OK);
            })
        .subscribe();
  }

  /**
   * The signal's shutdown has printed everything: the command's main thread returns {@code code}.
   *
   * @param code the exit code
   */
  void endBySignal(int code) {
    signalExitCode = code;
    bySignal = true;
    signalEnd.countDown();
    end.countDown();
  }

  /**
   * @return true when a signal ended the command (then {@link #signalExitCode()} is its code)
   */
  boolean endedBySignal() {
    return bySignal;
  }

  /**
   * @return the exit code a signal's shutdown chose
   */
  int signalExitCode() {
    return signalExitCode;
  }
}
