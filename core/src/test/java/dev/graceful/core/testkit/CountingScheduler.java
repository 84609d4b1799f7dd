package dev.graceful.core.testkit;

import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import reactor.core.Disposable;
import reactor.core.scheduler.Scheduler;

/** Delegates to a virtual clock, counting the timed tasks asked of it; can refuse them. */
public final class CountingScheduler implements Scheduler {
  private final Scheduler delegate;

  /** timed tasks asked of this scheduler so far */
  public final AtomicInteger scheduled = new AtomicInteger();

  /** timed tasks neither run nor disposed yet */
  public final AtomicInteger pending = new AtomicInteger();

  /** when true, timed tasks are refused */
  public volatile boolean refusing;

  /**
   * @param delegate the scheduler that runs the tasks (a virtual clock in tests)
   */
  public CountingScheduler(Scheduler delegate) {
    this.delegate = delegate;
  }

  @Override
  public Disposable schedule(Runnable task) {
    return delegate.schedule(task);
  }

  @Override
  public Disposable schedule(Runnable task, long delay, TimeUnit unit) {
    if (refusing) {
      throw new RejectedExecutionException("refusing");
    }
    scheduled.incrementAndGet();
    pending.incrementAndGet();
    java.util.concurrent.atomic.AtomicBoolean over =
        new java.util.concurrent.atomic.AtomicBoolean();
    Disposable d =
        delegate.schedule(
            () -> {
              if (over.compareAndSet(false, true)) {
                pending.decrementAndGet();
              }
              task.run();
            },
            delay,
            unit);
    return () -> {
      if (over.compareAndSet(false, true)) {
        pending.decrementAndGet();
      }
      d.dispose();
    };
  }

  @Override
  public long now(TimeUnit unit) {
    return delegate.now(unit);
  }

  @Override
  public Worker createWorker() {
    return delegate.createWorker();
  }
}
