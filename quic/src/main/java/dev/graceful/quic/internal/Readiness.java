package dev.graceful.quic.internal;

import dev.graceful.core.spi.Step;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import reactor.core.Disposable;
import reactor.core.scheduler.Scheduler;

/**
 * Who waits for the engine's next step, and how they are woken: a step that cannot go on registers
 * its callback here, and whatever may let it go on (a Kwik event, a timer, an application
 * acknowledgement) wakes every waiter on the loop. Kwik has no events for a drain's progress or a
 * closing period's, so a step may also ask to be woken by a short poll. Loop thread, but for {@link
 * #onLoop}.
 */
final class Readiness {
  /** How often a drain or a closing period looks at Kwik's state: it has no events for either. */
  static final Duration POLL = Duration.ofMillis(2);

  private final Executor loop;
  private final List<Runnable> waiters = new ArrayList<>(1);
  private @Nullable Disposable pollTimer;

  /**
   * @param loop the loop that owns the engine: a serial executor every call and callback runs on
   */
  Readiness(Executor loop) {
    this.loop = loop;
  }

  /**
   * Hands work from a timer or a Kwik thread to the loop; a loop already shut down (its application
   * is stopping) has nobody left to tell, so the work is dropped, not thrown at the timer's thread.
   */
  void onLoop(Runnable r) {
    try {
      loop.execute(r);
    } catch (RejectedExecutionException stopped) {
      // nothing waits any more
    }
  }

  /** Runs every waiter once; each waits again if its next step still cannot go on. */
  void wake() {
    if (waiters.isEmpty()) {
      return;
    }
    List<Runnable> w = List.copyOf(waiters);
    waiters.clear();
    w.forEach(Runnable::run);
  }

  /**
   * @param onReady runs at the next wake, once however often it is added
   */
  void await(Runnable onReady) {
    if (!waiters.contains(onReady)) {
      waiters.add(onReady);
    }
  }

  /**
   * @param onReady no longer waits; the poll stops with the last waiter
   */
  void cancel(Runnable onReady) {
    waiters.remove(onReady);
    if (waiters.isEmpty() && pollTimer != null) {
      pollTimer.dispose();
      pollTimer = null;
    }
  }

  /** Waits for a Kwik event; with {@code poll}, also looks again after {@link #POLL}. */
  Step awaitEvents(Scheduler timer, boolean poll) {
    if (poll && pollTimer == null) {
      pollTimer =
          timer.schedule(
              () ->
                  onLoop(
                      () -> {
                        pollTimer = null;
                        wake();
                      }),
              POLL.toNanos(),
              TimeUnit.NANOSECONDS);
    }
    return Step.WANT_READ;
  }

  /**
   * @return true while a waiting step polls (a drain, a peer wait with data unsent)
   */
  boolean polling() {
    return pollTimer != null;
  }
}
