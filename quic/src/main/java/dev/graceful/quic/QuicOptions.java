package dev.graceful.quic;

import java.util.Objects;
import java.util.concurrent.Executor;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * How graceful wraps a Kwik connection ({@link QuicConnection#of(tech.kwik.core.QuicConnection,
 * dev.graceful.core.LoopGroup, String, QuicOptions)}, {@link QuicServer#start(
 * tech.kwik.core.server.ServerConnector, String, dev.graceful.core.LoopGroup, QuicOptions)}).
 * Immutable: each setter returns a new value.
 */
public final class QuicOptions {
  private static final QuicOptions DEFAULTS = new QuicOptions(null, CloseThreads.AHEAD, null);

  private final Executor blockingCalls; // null: graceful's own pool
  private final CloseThreads closeThreads;
  private final Scheduler timer; // null: Reactor's parallel scheduler

  /**
   * When the two threads that Kwik 0.10.9's {@code close()} needs start: the connection's scheduler
   * (which times the closing period) and its callback executor (which hands graceful the
   * termination event).
   */
  public enum CloseThreads {
    /**
     * When graceful wraps the connection, off the caller's thread (the default). A shutdown then
     * reports {@code SENT} without waiting for two thread starts (about 0.4 ms at the median each
     * on a 2-core machine, and most of a close's tail); the threads live for the connection's life
     * rather than for its closing period only, about 50–140 KB of resident memory each (measured on
     * JDK 17 with the benchmarks' {@code quic --idle}). A server-side connection's callback
     * executor usually runs already, for its peer's streams, so there it is one thread; a client's,
     * two.
     */
    AHEAD,
    /**
     * Within Kwik's {@code close()}, on the thread that calls it, as Kwik does without graceful.
     */
    AT_CLOSE
  }

  private QuicOptions(Executor blockingCalls, CloseThreads closeThreads, Scheduler timer) {
    this.blockingCalls = blockingCalls;
    this.closeThreads = closeThreads;
    this.timer = timer;
  }

  /**
   * @return graceful's own pool for Kwik's blocking calls; close threads started ahead
   */
  public static QuicOptions defaults() {
    return DEFAULTS;
  }

  /**
   * Where Kwik's calls that may wait for its locks run (close, stall restarts, the ack-eliciting
   * PING, starting the close threads): by default a small pool of graceful's own daemon threads, so
   * an application that fills {@code Schedulers.boundedElastic()} with blocking stream reads and
   * writes cannot starve a shutdown.
   *
   * @param executor never a loop thread
   * @return options with it
   */
  public QuicOptions blockingCalls(Executor executor) {
    return new QuicOptions(Objects.requireNonNull(executor, "executor"), closeThreads, timer);
  }

  /**
   * When Kwik's close threads start: {@link CloseThreads#AHEAD} (the default) or {@link
   * CloseThreads#AT_CLOSE}, for many idle connections whose threads should live for their closing
   * period only.
   *
   * @param when when they start
   * @return options with it
   */
  public QuicOptions closeThreads(CloseThreads when) {
    return new QuicOptions(blockingCalls, Objects.requireNonNull(when, "when"), timer);
  }

  /**
   * What times the connection's work outside a shutdown (R3): the watch over a stream's sending
   * (Kwik's lost wakeup) and the retries of a stream opened before Kwik accepts streams. A
   * shutdown's own timers run on its spec's scheduler. By default Reactor's parallel scheduler; a
   * {@code VirtualTimeScheduler} drives both in tests.
   *
   * @param scheduler the scheduler
   * @return options with it
   */
  public QuicOptions timer(Scheduler scheduler) {
    return new QuicOptions(
        blockingCalls, closeThreads, Objects.requireNonNull(scheduler, "scheduler"));
  }

  /**
   * @return what times the connection's work outside a shutdown
   */
  public Scheduler timer() {
    return timer == null ? Schedulers.parallel() : timer;
  }

  /**
   * @return the executor for Kwik's blocking calls, or empty for graceful's own pool
   */
  public java.util.Optional<Executor> blockingCalls() {
    return java.util.Optional.ofNullable(blockingCalls);
  }

  /**
   * @return when Kwik's close threads start
   */
  public CloseThreads closeThreads() {
    return closeThreads;
  }

  @Override
  public String toString() {
    return "QuicOptions[blockingCalls="
        + (blockingCalls == null ? "graceful" : blockingCalls)
        + ", closeThreads="
        + closeThreads
        + ", timer="
        + (timer == null ? "parallel" : timer)
        + "]";
  }
}
