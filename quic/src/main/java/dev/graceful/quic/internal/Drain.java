package dev.graceful.quic.internal;

import dev.graceful.core.DrainStatus;
import dev.graceful.core.spi.ShutdownRequest;
import dev.graceful.core.spi.Step;
import dev.graceful.quic.internal.KwikEngine.TrackedStream;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import reactor.core.Disposable;
import reactor.core.scheduler.Scheduler;

/**
 * Q5: "wait until all data written to a stream ... has been sent and acknowledged" before the
 * CONNECTION_CLOSE, within its share of the shutdown's deadline; how it ended, and how many bytes
 * the streams sent meanwhile. Loop thread.
 */
final class Drain {
  /** The share of the whole deadline a drain may use; the rest is for the closing period. */
  static final double DRAIN_SHARE = 0.75;

  private final TrackedStreams streams;
  private final LostWakeupRecovery recovery;
  private final LastAckPing lastAck;
  private final Receiver receiver;
  private final Readiness readiness;
  private DrainStatus drain = DrainStatus.NOT_APPLICABLE;
  private boolean draining;
  private long drainDeadlineNanos = Long.MAX_VALUE;
  private @Nullable Disposable drainTimer;
  private final Map<TrackedStream, Long> offsetsAtDrainStart = new HashMap<>();
  private long bytesDrained;

  /**
   * @param streams the streams drained
   * @param recovery restarts those Kwik's lost wakeup stalled
   * @param lastAck elicits the last acknowledgement
   * @param receiver says when no acknowledgement can come any more
   * @param readiness wakes the waiting step
   */
  Drain(
      TrackedStreams streams,
      LostWakeupRecovery recovery,
      LastAckPing lastAck,
      Receiver receiver,
      Readiness readiness) {
    this.streams = streams;
    this.recovery = recovery;
    this.lastAck = lastAck;
    this.receiver = receiver;
    this.readiness = readiness;
  }

  /**
   * @return how the drain ended; NOT_APPLICABLE while none ended (or began)
   */
  DrainStatus status() {
    return drain;
  }

  /**
   * @return the bytes the streams sent from the drain's start to its end
   */
  long bytesDrained() {
    return bytesDrained;
  }

  /** The shutdown asked for no stream flush: nothing was drained. */
  void skip() {
    drain = DrainStatus.NOT_DRAINED;
  }

  /**
   * @return null when the drain ended (DRAINED, TIMEOUT, or NOT_DRAINED without internals)
   */
  @Nullable Step drainStep(ShutdownRequest request) {
    Scheduler timer = request.timer();
    long now = timer.now(TimeUnit.NANOSECONDS);
    if (!draining) {
      draining = true;
      if (!KwikInternals.available() && !streams.everyStreamAckedByApplication()) {
        drain =
            DrainStatus
                .NOT_DRAINED; // documented fallback: nothing to observe acknowledgements with
        return null;
      }
      long budget =
          request.deadline().map(d -> (long) (d.toNanos() * DRAIN_SHARE)).orElse(Long.MAX_VALUE);
      drainDeadlineNanos = budget == Long.MAX_VALUE ? Long.MAX_VALUE : now + budget;
      if (budget != Long.MAX_VALUE) {
        // on time, not at the next poll
        drainTimer =
            timer.schedule(() -> readiness.onLoop(readiness::wake), budget, TimeUnit.NANOSECONDS);
      }
      for (TrackedStream s : streams.all()) {
        KwikInternals.progress(s.kwikStream())
            .ifPresent(p -> offsetsAtDrainStart.put(s, p.offset()));
      }
      // the send watch looked with its own clock; the drain looks afresh with the shutdown's
      recovery.forget();
    }
    if (streams.drained()) {
      // what a failed write held never left: everything sent is not everything written
      end(streams.anyWriteFailed() ? DrainStatus.NOT_DRAINED : DrainStatus.DRAINED);
      return null;
    }
    if (receiver.deaf()) {
      // Nothing from the peer is processed any more: no acknowledgement can end the drain.
      end(DrainStatus.NOT_DRAINED);
      return null;
    }
    if (now >= drainDeadlineNanos) {
      end(DrainStatus.TIMEOUT);
      return null;
    }
    recovery.restartStalledStreams(now);
    lastAck.elicitLastAck(now);
    return readiness.awaitEvents(timer, true);
  }

  private void end(DrainStatus status) {
    drain = status;
    stopDrainTimer();
    countDrained();
  }

  private void stopDrainTimer() {
    if (drainTimer != null) {
      drainTimer.dispose();
      drainTimer = null;
    }
  }

  private void countDrained() {
    long sum = 0;
    for (TrackedStream s : streams.all()) {
      if (s.isReset()) {
        continue;
      }
      long start = offsetsAtDrainStart.getOrDefault(s, 0L);
      long end =
          KwikInternals.progress(s.kwikStream())
              .map(KwikInternals.StreamProgress::offset)
              .orElse(start);
      sum += Math.max(0, end - start);
    }
    bytesDrained = sum;
  }
}
