package dev.graceful.quic;

import java.util.Objects;
import java.util.concurrent.Executor;

/**
 * How graceful wraps a Kwik connection ({@link QuicConnection#of(tech.kwik.core.QuicConnection,
 * dev.graceful.core.spi.SelectorLoop, String, QuicOptions)}, {@link QuicServer#start(
 * tech.kwik.core.server.ServerConnector, String, dev.graceful.core.LoopGroup, QuicOptions)}).
 * Immutable: each setter returns a new value.
 */
public final class QuicOptions {
  private static final QuicOptions DEFAULTS = new QuicOptions(null, true);

  private final Executor blockingCalls; // null: graceful's own pool
  private final boolean closeThreadsAhead;

  private QuicOptions(Executor blockingCalls, boolean closeThreadsAhead) {
    this.blockingCalls = blockingCalls;
    this.closeThreadsAhead = closeThreadsAhead;
  }

  /** @return graceful's own pool for Kwik's blocking calls; close threads started ahead */
  public static QuicOptions defaults() {
    return DEFAULTS;
  }

  /**
   * Where Kwik's calls that may wait for its locks run (close, stall restarts, the ack-eliciting
   * PING, starting the close threads): by default a small pool of graceful's own daemon threads,
   * so an application that fills {@code Schedulers.boundedElastic()} with blocking stream reads
   * and writes cannot starve a shutdown.
   *
   * @param executor never a loop thread
   * @return options with it
   */
  public QuicOptions blockingCalls(Executor executor) {
    return new QuicOptions(Objects.requireNonNull(executor, "executor"), closeThreadsAhead);
  }

  /**
   * Whether wrapping a connection starts the two threads that Kwik 0.10.9's {@code close()} would
   * otherwise start before it flushes its CONNECTION_CLOSE: the connection's scheduler (which times
   * the closing period) and its callback executor (which hands graceful the termination event).
   * On by default.
   *
   * <p>On, a shutdown reports {@code SENT} without waiting for two thread starts (about 0.4 ms at
   * the median each on a 2-core machine, and most of a close's tail); the threads then live for
   * the connection's life rather than for its closing period only, about 50–140 KB of resident
   * memory each (measured on JDK 17 with the benchmarks' {@code quic --idle}). A server-side
   * connection's callback executor usually runs already, for its peer's streams, so there it is
   * one thread; a client's, two. Off, the close starts them, as Kwik does without graceful.
   *
   * @param ahead true to start them when the connection is wrapped
   * @return options with it
   */
  public QuicOptions closeThreadsAhead(boolean ahead) {
    return new QuicOptions(blockingCalls, ahead);
  }

  /** @return the executor for Kwik's blocking calls, or empty for graceful's own pool */
  public java.util.Optional<Executor> blockingCalls() {
    return java.util.Optional.ofNullable(blockingCalls);
  }

  /** @return whether wrapping starts Kwik's close threads */
  public boolean closeThreadsAhead() {
    return closeThreadsAhead;
  }

  @Override
  public String toString() {
    return "QuicOptions[blockingCalls=" + (blockingCalls == null ? "graceful" : blockingCalls)
        + ", closeThreadsAhead=" + closeThreadsAhead + "]";
  }
}
