package dev.graceful.core.spi;

import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.core.TransportPolicy;
import dev.graceful.core.spi.loop.SelectorLoop;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import reactor.core.CoreSubscriber;
import reactor.core.Disposable;
import reactor.core.publisher.Operators;

/**
 * One running exchange: a {@link StepDriver} and the subscribers that share it (every subscriber of
 * the same spec while it runs). It starts with its first subscriber and stops when the last one
 * cancels. Once it has ended, whatever the ending, nobody joins it: a later subscriber starts a new
 * exchange, which continues from the state the engine is in (so a retry after a timeout tries
 * again, and a no-block "not yet" is asked again rather than replayed).
 *
 * <p>The driver is the only producer, on the engine's executor. Subscribers receive its signal
 * directly: no sink, no operator chain between the driver and them.
 */
final class Exchange {
  private static final Subscription[] NONE = new Subscription[0];

  private final ShutdownEngine engine;
  private final ShutdownSpec spec;
  private Subscription[] subscribers = NONE; // guarded by this
  private List<Runnable> afterEnd; // guarded by this
  private StepDriver driver; // guarded by this; set with the first subscriber
  private volatile boolean ended; // written under this

  Exchange(ShutdownEngine engine, ShutdownSpec spec) {
    this.engine = engine;
    this.spec = spec;
  }

  ShutdownSpec spec() {
    return spec;
  }

  /**
   * @return true once it has ended: a result, an error, a "not yet", or every subscriber gone
   */
  boolean isOver() {
    return ended;
  }

  /**
   * Adds a subscriber; the first one starts the exchange.
   *
   * @return false if the exchange has already ended (the subscriber must start another one)
   */
  boolean join(Subscription s) {
    StepDriver start = null;
    List<Runnable> abandoned = null;
    synchronized (this) {
      if (ended) {
        return false;
      }
      if (!s.enter()) {
        // its deadline came while it waited for its turn, and it has been told so
        if (driver == null && subscribers.length == 0) {
          // it was to start this exchange: nobody is in it, so it never runs
          ended = true;
          abandoned = afterEnd;
          afterEnd = null;
        }
      } else {
        s.exchange = this;
        subscribers = Arrays.copyOf(subscribers, subscribers.length + 1);
        subscribers[subscribers.length - 1] = s;
        if (driver == null) {
          // the deadline counts from the first subscriber's subscription, which may have waited
          driver = start = new StepDriver(engine, spec, this, s.currentContext(), s.deadlineAt);
        }
      }
    }
    if (s.exchange != this) {
      runAll(abandoned);
      return true;
    }
    if (s.isCancelled()) {
      leave(s); // cancelled while joining: its cancel may not have seen this exchange
    }
    if (start != null) {
      // Always a task of its own, even when subscribed on the owning loop: the first step wraps
      // our close_notify, and JDK 17's engine then throws and swallows an exception inside it
      // (its GCM cipher's dispose), whose stack trace costs more the deeper the stack. Run from
      // the loop, the step's stack is shallow whatever the subscriber's depth.
      submit(start, this::fail);
    }
    return true;
  }

  /**
   * Runs {@code task} on the engine's executor: at once when this thread is already the owning
   * loop, else as a task.
   *
   * @param ifGone what to do instead when the executor refuses the task (it is shut down)
   */
  private void onExecutor(Runnable task, Consumer<RejectedExecutionException> ifGone) {
    if (engine.executor() instanceof SelectorLoop loop && loop.inLoop()) {
      task.run();
      return;
    }
    submit(task, ifGone);
  }

  /**
   * Runs {@code task} on the engine's executor as a task of its own, even from the owning loop.
   *
   * @param ifGone what to do instead when the executor refuses the task (it is shut down)
   */
  private void submit(Runnable task, Consumer<RejectedExecutionException> ifGone) {
    try {
      engine.executor().execute(task);
    } catch (RejectedExecutionException gone) {
      ifGone.accept(gone);
    }
  }

  /**
   * Runs {@code then} once this exchange has ended, after its subscribers were told.
   *
   * @return false if it has already ended (nothing was registered)
   */
  synchronized boolean whenOver(Runnable then) {
    if (ended) {
      return false;
    }
    if (afterEnd == null) {
      afterEnd = new ArrayList<>(2);
    }
    afterEnd.add(then);
    return true;
  }

  /** A subscriber cancelled; the last one stops the exchange (on the executor). */
  void leave(Subscription s) {
    StepDriver stop;
    List<Runnable> then;
    synchronized (this) {
      int i = Arrays.asList(subscribers).indexOf(s);
      if (i < 0) {
        return;
      }
      Subscription[] rest = new Subscription[subscribers.length - 1];
      System.arraycopy(subscribers, 0, rest, 0, i);
      System.arraycopy(subscribers, i + 1, rest, i, rest.length - i);
      subscribers = rest;
      if (rest.length > 0 || ended) {
        return;
      }
      ended = true;
      stop = driver;
      then = afterEnd;
      afterEnd = null;
    }
    onExecutor(
        () -> {
          stop.abandon();
          closePerPolicy(false);
          runAll(then);
        },
        // the loop is gone with the driver's waits; the queued specs still get answers
        gone -> runAll(then));
  }

  /** The driver's result. */
  void succeed(ShutdownResult result) {
    end(s -> s.succeed(result), true);
  }

  /** The driver's "not yet" (no-block): empty. */
  void notYet() {
    end(Subscription::empty, true);
  }

  /** The driver's error. */
  void fail(Throwable error) {
    end(s -> s.error(error), false);
  }

  /**
   * Ends the exchange unless it already has (cancelled): tells every subscriber, then runs the
   * specs queued behind it, then applies the transport policy.
   *
   * <p>A subscriber that throws from its signal (Reactive Streams §2.13 forbids it) costs the
   * others nothing: its exception goes to Reactor's dropped-error hook, as Reactor's own
   * subscribers do with a failing consumer.
   *
   * @param signal what to tell each subscriber (a cancelled one ignores it)
   * @param completed whether the ending counts as completion for the transport policy
   */
  private void end(Consumer<Subscription> signal, boolean completed) {
    Subscription[] to;
    List<Runnable> then;
    synchronized (this) {
      if (ended) {
        return;
      }
      ended = true;
      to = subscribers;
      subscribers = NONE;
      then = afterEnd;
      afterEnd = null;
    }
    for (Subscription s : to) {
      try {
        signal.accept(s);
      } catch (VirtualMachineError fatal) {
        throw fatal;
      } catch (RuntimeException | Error misbehaving) {
        Operators.onErrorDropped(misbehaving, s.currentContext());
      }
    }
    runAll(then);
    closePerPolicy(completed);
  }

  /** The spec's transport policy, after the subscribers were told; as {@code doFinally} would. */
  private void closePerPolicy(boolean completed) {
    TransportPolicy policy = spec.transportPolicy();
    if (policy == TransportPolicy.KEEP_OPEN
        || (policy == TransportPolicy.CLOSE_ON_ABORT && completed)) {
      return;
    }
    onExecutor(
        engine::closeTransport,
        gone -> {
          // the loop that owns the transport is gone; releasing the connection closes it
        });
  }

  private static void runAll(List<Runnable> tasks) {
    if (tasks != null) {
      for (Runnable t : tasks) {
        t.run();
      }
    }
  }

  /**
   * One subscriber's subscription: Reactor's Mono subscription state machine (request, cancel). As
   * a {@link reactor.core.Scannable} it answers {@code CANCELLED}, {@code TERMINATED} (after a
   * result, an empty "not yet" or an error) and {@code ACTUAL}, as Reactor's own operators do.
   */
  static final class Subscription extends Operators.MonoSubscriber<ShutdownResult, ShutdownResult> {
    private static final int WAITING = 0;
    private static final int JOINED = 1;
    private static final int EXPIRED = 2;
    private static final AtomicIntegerFieldUpdater<Subscription> TURN =
        AtomicIntegerFieldUpdater.newUpdater(Subscription.class, "turn");

    /** The deadline, in the spec scheduler's nanos, counted from this subscription. */
    final long deadlineAt;

    private volatile Exchange exchange;
    private volatile boolean terminated;
    private volatile int turn = WAITING; // through TURN: no AtomicInteger per subscription
    private volatile Disposable queueTimer; // while waiting for its turn behind another exchange

    /** Set when it first waited for another exchange; only the slot's attach touches it. */
    boolean queued;

    /**
     * @param deadlineAt the deadline from now, if the spec has a timeout (see {@link
     *     StepDriver#deadlineFromNow})
     */
    Subscription(CoreSubscriber<? super ShutdownResult> actual, long deadlineAt) {
      super(actual);
      this.deadlineAt = deadlineAt;
    }

    /**
     * @return false once its turn is settled: it joined an exchange or its deadline came
     */
    boolean waiting() {
      return turn == WAITING;
    }

    /**
     * Its turn has come: it joins an exchange and its queue timer is withdrawn.
     *
     * @return false if its deadline came first
     */
    boolean enter() {
      if (!TURN.compareAndSet(this, WAITING, JOINED)) {
        return turn == JOINED;
      }
      withdrawQueueTimer();
      return true;
    }

    /**
     * Its deadline came before its turn.
     *
     * @return false if it joined an exchange first (then that exchange's deadline applies)
     */
    boolean expire() {
      return TURN.compareAndSet(this, WAITING, EXPIRED);
    }

    /** While it waits for its turn: what ends the wait at its deadline. */
    void queueTimer(Disposable timer) {
      queueTimer = timer;
      if (!waiting() || isCancelled()) {
        withdrawQueueTimer(); // it joined or was cancelled while the timer was being armed
      }
    }

    private void withdrawQueueTimer() {
      Disposable t = queueTimer;
      if (t != null) {
        queueTimer = null;
        t.dispose();
      }
    }

    /** Signals {@code result} and completes, unless cancelled. */
    void succeed(ShutdownResult result) {
      if (!isCancelled()) {
        terminated = true;
        complete(result);
      }
    }

    /** Completes empty, unless cancelled. */
    void empty() {
      if (!isCancelled()) {
        terminated = true;
        onComplete();
      }
    }

    /** Signals {@code e}, unless cancelled. */
    void error(Throwable e) {
      if (!isCancelled()) {
        terminated = true;
        onError(e);
      }
    }

    @Override
    @SuppressWarnings("rawtypes") // Scannable declares it with the raw type
    public @Nullable Object scanUnsafe(Attr key) {
      if (key == Attr.TERMINATED) {
        return terminated;
      }
      if (key == Attr.RUN_STYLE) {
        return Attr.RunStyle.ASYNC;
      }
      return super.scanUnsafe(key);
    }

    @Override
    public void cancel() {
      if (isCancelled()) {
        return;
      }
      super.cancel();
      Exchange e = exchange;
      if (e != null) {
        e.leave(this);
      } else {
        withdrawQueueTimer(); // cancelled while waiting for its turn
      }
    }
  }
}
