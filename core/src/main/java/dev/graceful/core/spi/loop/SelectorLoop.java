package dev.graceful.core.spi.loop;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.NonBlocking;
import reactor.core.scheduler.Scheduler;

/**
 * One thread owning one {@link Selector}: it runs submitted tasks and dispatches readiness to the
 * channels registered on it. Everything a connection does happens here, so engines need no locks.
 * The thread is a Reactor {@link NonBlocking} thread: {@code block()} on it fails loudly, and under
 * BlockHound any blocking call but the selector's own wait is reported. No failure of a task or a
 * readiness handler ends the thread, whatever it throws, nor does a log that fails to report it;
 * only the selector failing does. All timing runs on a Reactor {@code Scheduler} (R3): {@link
 * #deadline} coalesces the loop's deadlines on one clock into a single scheduled task.
 */
public final class SelectorLoop implements Executor {
  private static final System.Logger LOG = System.getLogger(SelectorLoop.class.getName());

  /** Receives readiness of a registered channel, on the loop thread. */
  @FunctionalInterface
  public interface Readiness {
    /**
     * @param key the channel's key; its {@code readyOps()} say what is ready
     */
    void onReady(SelectionKey key);
  }

  private final Selector selector;
  private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
  private final AtomicInteger pending = new AtomicInteger();
  private final AtomicBoolean wakeupPending = new AtomicBoolean();
  private final Sinks.Empty<Void> terminated = Sinks.empty();
  private final Thread thread;
  private final Map<Scheduler, LoopDeadlines> deadlines = new IdentityHashMap<>(); // loop only
  private volatile boolean running = true;

  private SelectorLoop(String name) {
    try {
      selector = Selector.open();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open a selector", e);
    }
    thread = new LoopThread(this::run, name);
  }

  /**
   * Opens a selector and starts its thread (a daemon).
   *
   * @param name the thread's name
   * @return the running loop
   */
  public static SelectorLoop start(String name) {
    SelectorLoop loop = new SelectorLoop(Objects.requireNonNull(name, "name"));
    loop.thread.start();
    return loop;
  }

  /**
   * @return true when called on this loop's thread
   */
  public boolean inLoop() {
    return Thread.currentThread() == thread;
  }

  /**
   * Runs {@code task} on the loop thread, after the tasks already submitted.
   *
   * @throws RejectedExecutionException once the loop is shut down
   */
  @Override
  public void execute(Runnable task) {
    Objects.requireNonNull(task, "task");
    if (!running) {
      throw new RejectedExecutionException("selector loop " + thread.getName() + " is shut down");
    }
    pending.incrementAndGet();
    tasks.add(task);
    if (!running && tasks.remove(task)) {
      // the loop stopped between the check and the add: it may have run its last tasks already,
      // so the task is refused rather than left in a queue nobody reads
      pending.decrementAndGet();
      throw new RejectedExecutionException("selector loop " + thread.getName() + " is shut down");
    }
    if (!inLoop() && wakeupPending.compareAndSet(false, true)) {
      selector.wakeup();
    }
  }

  /**
   * Runs {@code onDeadline} on this loop when {@code clock.now(NANOSECONDS)} reaches {@code
   * atNanos}, unless the returned handle is disposed first. All deadlines of this loop on the same
   * clock share one task on it, armed for the earliest; adding and disposing are cheap operations
   * on the loop. Loop thread only (disposing works from any thread).
   *
   * @param clock the scheduler whose clock and threads time the deadline (virtual time in tests)
   * @param atNanos the instant, in {@code clock.now(NANOSECONDS)} terms; a past instant fires soon
   * @param onDeadline what to run at the deadline, on this loop
   * @param onRejected what to run on this loop instead if {@code clock} refuses to time a deadline
   *     later (it was disposed while the deadline was pending), or if the loop shuts down first
   * @return the handle
   * @throws java.util.concurrent.RejectedExecutionException if {@code clock} refuses now
   */
  public Disposable deadline(
      Scheduler clock, long atNanos, Runnable onDeadline, Consumer<RuntimeException> onRejected) {
    Objects.requireNonNull(onDeadline, "onDeadline");
    Objects.requireNonNull(onRejected, "onRejected");
    return deadline(
        clock,
        atNanos,
        new DeadlineTarget() {
          @Override
          public void deadlineReached() {
            onDeadline.run();
          }

          @Override
          public void deadlineRefused(RuntimeException why) {
            onRejected.accept(why);
          }
        });
  }

  /**
   * What a deadline tells, on the loop: one object where a deadline per connection would otherwise
   * hold two callbacks.
   */
  public interface DeadlineTarget {
    /** The deadline's instant has come. */
    void deadlineReached();

    /**
     * The deadline will never fire: its clock refused to time it, or the loop is stopping.
     *
     * @param why the refusal
     */
    void deadlineRefused(RuntimeException why);
  }

  /**
   * As {@link #deadline(Scheduler, long, Runnable, Consumer)}, telling {@code target}.
   *
   * @param clock the scheduler whose clock and threads time the deadline
   * @param atNanos the instant, in {@code clock.now(NANOSECONDS)} terms
   * @param target told on this loop at the deadline, or of the refusal
   * @return the handle
   * @throws java.util.concurrent.RejectedExecutionException if {@code clock} refuses now
   */
  public Disposable deadline(Scheduler clock, long atNanos, DeadlineTarget target) {
    assertInLoop();
    Objects.requireNonNull(target, "target");
    LoopDeadlines d =
        deadlines.computeIfAbsent(
            Objects.requireNonNull(clock, "clock"), c -> new LoopDeadlines(this, c));
    try {
      return d.add(atNanos, target);
    } catch (RejectedExecutionException refused) {
      forget(clock, d); // nothing was kept
      throw refused;
    }
  }

  /** Drops a clock's deadlines once nothing is pending or armed on it. */
  void forget(Scheduler clock, LoopDeadlines d) {
    if (d.idle()) {
      deadlines.remove(clock, d);
    }
  }

  /**
   * Registers a channel with no interest; the caller sets interest on the returned key. Loop thread
   * only.
   *
   * @param channel a non-blocking channel
   * @param handler receives its readiness
   * @return the key
   * @throws ClosedChannelException if the channel is closed
   */
  public SelectionKey register(SelectableChannel channel, Readiness handler)
      throws ClosedChannelException {
    assertInLoop();
    return channel.register(selector, 0, Objects.requireNonNull(handler, "handler"));
  }

  /**
   * Cancels the key and deregisters its channel now rather than at the loop's next select, so that
   * closing the channel afterwards releases the socket at once (a listener closed this way refuses
   * new connections as soon as this returns).
   *
   * @param key a key of this loop
   * @throws IOException if the selector fails
   */
  public void deregister(SelectionKey key) throws IOException {
    assertInLoop();
    key.cancel();
    selector.selectNow(); // flushes the cancelled key; keys found ready stay selected for dispatch
  }

  /**
   * Counts the channels registered and not cancelled, and the tasks not yet run, as the loop sees
   * them after flushing cancelled keys. For leak checks.
   *
   * @return a Mono of {@code [keys, tasks]} evaluated on the loop
   */
  public Mono<int[]> census() {
    return Mono.create(
        sink ->
            execute(
                () -> {
                  try {
                    selector.selectNow(); // drops cancelled keys from the key set
                  } catch (IOException e) {
                    sink.error(e);
                    return;
                  }
                  int keys = 0;
                  for (SelectionKey k : selector.keys()) {
                    if (k.isValid()) {
                      keys++;
                    }
                  }
                  sink.success(new int[] {keys, pending.get()});
                }));
  }

  /**
   * Stops the loop after the tasks already submitted; closes the selector. Channels stay open: they
   * belong to their connections.
   *
   * @return completes when the thread has ended
   */
  public Mono<Void> shutdown() {
    if (running) {
      try {
        execute(() -> running = false);
      } catch (RejectedExecutionException alreadyStopping) {
        // another caller won the race
      }
    }
    return terminated.asMono();
  }

  private void assertInLoop() {
    if (!inLoop()) {
      throw new IllegalStateException("must be called on loop " + thread.getName());
    }
  }

  private void run() {
    try {
      while (running) {
        runTasks();
        if (!running) {
          break;
        }
        wakeupPending.set(false);
        if (tasks.isEmpty()) {
          awaitReadiness();
        } else {
          selector.selectNow();
        }
        dispatch();
      }
      while (!tasks.isEmpty()) { // stopping: what was submitted before still runs
        runTasks();
      }
      abandonDeadlines();
    } catch (IOException | RuntimeException e) {
      // only the selector itself fails here (tasks and handlers are guarded): it cannot serve
      report(System.Logger.Level.ERROR, "selector loop " + thread.getName() + " failed", e);
    } finally {
      running = false;
      try {
        selector.close();
      } catch (IOException e) {
        report(System.Logger.Level.WARNING, "closing selector failed", e);
      }
      terminated.tryEmitEmpty();
    }
  }

  /**
   * Logs a failure without ever failing itself: a log that throws (a broken handler, a formatter
   * tripping over the exception) must not end the thread that serves every connection of the loop.
   */
  static void report(System.Logger.Level level, String what, Throwable failure) {
    report(LOG, level, what, failure);
  }

  /** As {@link #report(System.Logger.Level, String, Throwable)}, on {@code log}. */
  static void report(System.Logger log, System.Logger.Level level, String what, Throwable failure) {
    try {
      log.log(level, what, failure);
    } catch (Throwable logFailed) {
      // the log cannot say it; dropping this report is all that is left
    }
  }

  /** Deadlines still pending when the loop stops can never fire: each is told so. */
  private void abandonDeadlines() {
    if (deadlines.isEmpty()) {
      return;
    }
    RejectedExecutionException stopped =
        new RejectedExecutionException("selector loop " + thread.getName() + " is shut down");
    for (LoopDeadlines d : List.copyOf(deadlines.values())) {
      d.abandonAll(stopped);
    }
    deadlines.clear();
  }

  /** The loop's one allowed wait; named in the BlockHound integration. */
  private void awaitReadiness() throws IOException {
    selector.select();
  }

  /**
   * Runs the tasks queued when the round began. Tasks they submit wait for the next round, after
   * the loop has looked at readiness (the {@code selectNow} that follows a non-empty queue): a task
   * that resubmits itself, such as an application writing in a loop whose writes complete on the
   * loop, cannot hold up the loop's other channels.
   */
  private void runTasks() {
    int round = pending.get();
    Runnable task;
    while (round-- > 0 && (task = tasks.poll()) != null) {
      pending.decrementAndGet();
      try {
        task.run();
      } catch (Throwable e) {
        // A task's own failure, whatever it is (a StackOverflowError unwound to here included),
        // must not end the loop that serves every other connection.
        report(System.Logger.Level.ERROR, "task failed on loop " + thread.getName(), e);
      }
    }
  }

  private void dispatch() {
    Iterator<SelectionKey> it = selector.selectedKeys().iterator();
    while (it.hasNext()) {
      SelectionKey key = it.next();
      it.remove();
      if (!key.isValid()) {
        continue;
      }
      try {
        ((Readiness) key.attachment()).onReady(key);
      } catch (Throwable e) {
        report(System.Logger.Level.ERROR, "readiness handler failed on " + thread.getName(), e);
      }
    }
  }

  private static final class LoopThread extends Thread implements NonBlocking {
    LoopThread(Runnable body, String name) {
      super(body, name);
      setDaemon(true);
    }
  }
}
