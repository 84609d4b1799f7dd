package dev.graceful.quic.internal;

import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;
import reactor.core.Disposable;
import reactor.core.scheduler.Scheduler;

/**
 * Kwik's lost wakeup outside a shutdown: from a write or a conclude on a tracked stream until every
 * tracked stream has sent all it was given, the loop looks at their progress now and then and
 * restarts a stalled one, as a drain does. While a shutdown polls (a drain, a peer wait with data
 * unsent), it makes the restarts itself; a shutdown that waits without polling (a peer wait with
 * nothing unsent when it began, a non-blocking one between its calls) leaves them to the watch.
 * Loop thread, but for {@link #watching()}.
 */
final class SendWatch {
  /**
   * Outside a shutdown, how soon a stream with data to send is looked at again for Kwik's lost
   * wakeup: a stall costs at most two looks. Writes would otherwise block for good (their buffer
   * space is freed only by the stalled sender), and data already buffered would never leave.
   */
  static final Duration SEND_WATCH = Duration.ofMillis(10);

  /**
   * The longest wait between looks at a stream that stays still after a restart (a peer's flow
   * control holds it, say): each restart that brought no progress doubles the wait up to this.
   */
  static final Duration SEND_WATCH_MAX = Duration.ofMillis(640);

  private final Readiness readiness;
  private final TrackedStreams streams;
  private final LostWakeupRecovery recovery;
  private final BooleanSupplier sendingOver;
  private final Scheduler watchTimer;
  private @Nullable Disposable sendWatch;
  // sendWatch != null, readable off the loop: a write then need not hop to the loop (and wake its
  // selector) to start a watch that is already running
  private volatile boolean watching;
  private long sendWatchNanos = SEND_WATCH.toNanos();

  /**
   * @param readiness hands the watch's looks to the loop, and says when a shutdown polls
   * @param streams the streams watched
   * @param recovery restarts the stalled ones
   * @param sendingOver true once nothing more will be sent: Kwik reported the end, the connection
   *     was terminated, or a local close started
   * @param watchTimer what times the looks (R3)
   */
  SendWatch(
      Readiness readiness,
      TrackedStreams streams,
      LostWakeupRecovery recovery,
      BooleanSupplier sendingOver,
      Scheduler watchTimer) {
    this.watchTimer = watchTimer;
    this.readiness = readiness;
    this.streams = streams;
    this.recovery = recovery;
    this.sendingOver = sendingOver;
  }

  /** Starts the watch at its shortest interval, unless it runs already. */
  void start() {
    if (sendWatch == null) {
      sendWatchNanos = SEND_WATCH.toNanos();
      armSendWatch();
    }
  }

  /** Stops the watch: the connection is over. */
  void stop() {
    if (sendWatch != null) {
      sendWatch.dispose();
      sendWatch = null;
      watching = false;
    }
  }

  /**
   * @return true while a send watch is armed; any thread. A write counts itself in flight first,
   *     then reads this: the watch clears it before it looks for writes in flight, so either the
   *     write sees it cleared and starts a watch, or the watch sees the write and goes on.
   */
  boolean watching() {
    return watching;
  }

  private void armSendWatch() {
    try {
      sendWatch =
          watchTimer.schedule(
              () -> readiness.onLoop(this::watchSending), sendWatchNanos, TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException stopped) {
      sendWatch = null; // Reactor's schedulers were shut down: the application is stopping
    }
    watching = sendWatch != null;
  }

  private void watchSending() {
    sendWatch = null;
    watching = false; // before looking for writes in flight (see watching())
    if (sendingOver.getAsBoolean() || !streams.anySending()) {
      return; // the next write starts a new watch
    }
    if (!readiness
        .polling()) { // else a polling shutdown (a drain, a peer wait) restarts stalls itself
      long before = recovery.kicks();
      recovery.restartStalledStreams(watchTimer.now(TimeUnit.NANOSECONDS));
      sendWatchNanos =
          recovery.kicks() == before
              ? SEND_WATCH.toNanos()
              : Math.min(2 * sendWatchNanos, SEND_WATCH_MAX.toNanos());
    }
    armSendWatch();
  }
}
