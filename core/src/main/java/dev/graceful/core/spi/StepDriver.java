package dev.graceful.core.spi;

import dev.graceful.core.Inbound;
import dev.graceful.core.Outcome;
import dev.graceful.core.ShutdownException;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.core.spi.loop.SelectorLoop;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import reactor.core.Disposable;
import reactor.core.scheduler.Scheduler;
import reactor.util.context.ContextView;

/**
 * Runs one exchange on the engine's executor: step, and on WANT_READ / WANT_WRITE wait for
 * readiness and step again, as an application calls SSL_shutdown() again after SSL_ERROR_WANT_*.
 * The deadline, if any, counts from the subscription that started the exchange (even if it waited
 * for its turn behind another exchange) and is armed only when the exchange first has to wait: on a
 * {@link SelectorLoop} through the loop's shared deadlines, elsewhere as one task on the spec's
 * scheduler. Confined to the executor after construction: fields are touched only there.
 */
final class StepDriver implements Runnable, SelectorLoop.DeadlineTarget {
  private final ShutdownEngine engine;
  private final ShutdownRequest request;
  private final Exchange exchange;
  private final Scheduler clock;
  private final Duration timeout; // null: none
  private final long deadlineAt; // clock nanos, when timeout != null
  private final boolean settleAtDeadline;
  private long startNanos;
  private long startBytesRead;
  private boolean started;
  private boolean finished;
  private Disposable deadline;

  /**
   * Called when the exchange starts, on the subscriber's thread.
   *
   * @param context the context of the subscriber that starts the exchange; contextual callbacks of
   *     the spec see it
   * @param deadlineAt when the spec has a timeout: the deadline, in the spec scheduler's nanos,
   *     counted from that subscriber's subscription (which may have waited for its turn)
   */
  StepDriver(
      ShutdownEngine engine,
      ShutdownSpec spec,
      Exchange exchange,
      ContextView context,
      long deadlineAt) {
    this.engine = engine;
    Inbound inbound = spec.inbound();
    this.request =
        new ShutdownRequest(
            spec.mode(),
            spec.ignoresUnexpectedEof(),
            inbound instanceof Inbound.DeliverContextual d ? d.bind(context) : inbound,
            spec.flushesStreams(),
            spec.options(),
            spec.scheduler(),
            spec.timeout());
    this.exchange = exchange;
    this.clock = spec.scheduler();
    this.timeout = spec.timeout().orElse(null);
    this.settleAtDeadline = spec.settlesAtDeadline();
    this.deadlineAt = deadlineAt;
  }

  /**
   * @param spec a spec
   * @return its deadline if subscribed now, in its scheduler's nanos; 0 (unused) without timeout
   */
  static long deadlineFromNow(ShutdownSpec spec) {
    return spec.timeout()
        .map(t -> saturatedAdd(spec.scheduler().now(TimeUnit.NANOSECONDS), t))
        .orElse(0L);
  }

  private static long saturatedAdd(long now, Duration d) {
    long nanos;
    try {
      nanos = d.toNanos();
    } catch (ArithmeticException tooLong) {
      nanos = Long.MAX_VALUE;
    }
    long sum = now + nanos;
    return ((now ^ sum) & (nanos ^ sum)) < 0 ? Long.MAX_VALUE : sum;
  }

  /** Starts or continues the exchange (also what readiness runs); on the executor. */
  @Override
  public void run() {
    if (finished) {
      return;
    }
    if (!started) {
      started = true;
      startNanos = clock.now(TimeUnit.NANOSECONDS);
      startBytesRead = engine.connectionBytesRead();
    }
    Step answer;
    try {
      answer = engine.step(request);
    } catch (ShutdownException e) {
      settle();
      exchange.fail(e);
      return;
    } catch (VirtualMachineError e) {
      throw e;
    } catch (RuntimeException | Error e) {
      settle();
      engine.cancelReadiness(this);
      exchange.fail(e);
      return;
    }
    switch (answer) {
      case COMPLETE -> finish(Outcome.COMPLETE);
      case SENT -> finish(Outcome.SENT);
      case WANT_READ, WANT_WRITE -> {
        if (engine.noBlock(request)) {
          settle(); // SSL_SHUTDOWN_FLAG_NO_BLOCK: would wait, so answer "not yet" (empty)
          exchange.notYet();
        } else if (armDeadline()) {
          engine.awaitReadiness(answer, this);
        }
      }
      default -> throw new AssertionError(answer);
    }
  }

  /**
   * @return false if the exchange ended instead (the deadline has no timer)
   */
  private boolean armDeadline() {
    if (timeout == null || deadline != null) {
      return true;
    }
    Executor executor = engine.executor();
    try {
      if (executor instanceof SelectorLoop loop && loop.inLoop()) {
        deadline = loop.deadline(clock, deadlineAt, this);
      } else {
        long delay = Math.max(0, deadlineAt - clock.now(TimeUnit.NANOSECONDS));
        deadline =
            clock.schedule(
                () -> {
                  try {
                    executor.execute(this::expire);
                  } catch (RejectedExecutionException stopped) {
                    exchange.fail(
                        stopped); // the executor is gone: nothing else touches this driver
                  }
                },
                delay,
                TimeUnit.NANOSECONDS);
      }
      return true;
    } catch (RejectedExecutionException e) {
      timerRefused(e);
      return false;
    }
  }

  @Override
  public void deadlineReached() {
    expire();
  }

  @Override
  public void deadlineRefused(RuntimeException why) {
    timerRefused(why);
  }

  /**
   * The scheduler cannot time the deadline (disposed): end with its refusal, as Mono.timeout would.
   */
  private void timerRefused(RuntimeException e) {
    if (!finished) {
      settle();
      engine.cancelReadiness(this);
      exchange.fail(e);
    }
  }

  /** The deadline: settle as SENT if the spec says so and our close went out, else TIMEOUT. */
  private void expire() {
    if (finished) {
      return;
    }
    deadline = null;
    settle();
    engine.cancelReadiness(this);
    if (settleAtDeadline && engine.state().sent()) {
      exchange.succeed(
          engine
              .describe()
              .bytesRead(bytesReadSince(engine.connectionBytesRead()))
              .outcome(Outcome.SENT)
              .mode(request.mode())
              .elapsed(timeout)
              .deadlineReached(true)
              .build());
    } else {
      // a QUIC engine describes how its connection was closed, if it was: the error carries it
      exchange.fail(
          new ShutdownException(
              ShutdownException.Reason.TIMEOUT,
              engine.connectionId(),
              engine.state(),
              "the shutdown did not end within " + timeout,
              null,
              engine.closeInfo()));
    }
  }

  /**
   * @param totalBytesRead the connection's count now
   * @return application bytes read since this exchange started; executor only
   */
  long bytesReadSince(long totalBytesRead) {
    return started ? totalBytesRead - startBytesRead : 0;
  }

  /** Stops waiting after a cancel; runs on the executor. */
  void abandon() {
    if (!finished) {
      settle();
      engine.cancelReadiness(this);
    }
  }

  /** Marks the exchange over and withdraws its deadline. */
  private void settle() {
    finished = true;
    if (deadline != null) {
      deadline.dispose();
      deadline = null;
    }
  }

  private void finish(Outcome outcome) {
    settle();
    long total = engine.connectionBytesRead();
    exchange.succeed(
        engine
            .describe()
            .outcome(outcome)
            .mode(request.mode())
            .elapsed(Duration.ofNanos(clock.now(TimeUnit.NANOSECONDS) - startNanos))
            .bytesRead(total - startBytesRead)
            .build());
  }
}
