package dev.graceful.quic.internal;

import dev.graceful.quic.internal.KwikEngine.TrackedStream;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executor;

/**
 * The mitigation for Kwik's lost wakeup: a Kwik stream can stop sending (its FIN included) with
 * data still buffered, and nothing in Kwik restarts it. Each look compares every tracked stream's
 * progress with the previous look's and restarts a stream that stands still with data unsent. A
 * drain and a peer wait with data unsent look at every poll, the send watch between shutdowns. Loop
 * thread.
 */
final class LostWakeupRecovery {
  /** No progress for this long with a send request said to be queued: restart anyway. */
  static final Duration STUCK = Duration.ofMillis(300);

  private final Executor blockingCalls;
  private final TrackedStreams streams;
  private final Map<TrackedStream, Long> lastOffsets = new HashMap<>();
  private final Map<TrackedStream, Long> stuckSince = new HashMap<>();
  private long kicks;

  /**
   * @param blockingCalls where Kwik calls that may wait for its locks run (never the loop)
   * @param streams the streams looked at
   */
  LostWakeupRecovery(Executor blockingCalls, TrackedStreams streams) {
    this.blockingCalls = blockingCalls;
    this.streams = streams;
  }

  /**
   * @return how often a stalled stream was restarted (Kwik's lost wakeup)
   */
  long kicks() {
    return kicks;
  }

  /**
   * @return how many streams the last looks remember
   */
  int remembered() {
    return Math.max(lastOffsets.size(), stuckSince.size());
  }

  /** Forgets every earlier look: the next look sees no stream as standing still. */
  void forget() {
    lastOffsets.clear();
    stuckSince.clear();
  }

  /**
   * Restarts streams stalled by Kwik's lost wakeup: unsent data, no queued send request and no
   * progress since the last look (or a queued request claimed, but no progress for {@link #STUCK}).
   * A write may well be in flight: a stalled stream's writer is blocked on buffer space that only
   * the stalled sender would free.
   *
   * @param now the looking clock's time, in nanoseconds
   */
  void restartStalledStreams(long now) {
    List<TrackedStream> current = streams.all();
    if (!lastOffsets.isEmpty()) {
      // only the streams of this look are remembered: one Kwik forgot (both its directions over)
      // is not seen again, and a long connection would keep every stream it ever had
      Set<TrackedStream> present = new HashSet<>(current);
      lastOffsets.keySet().retainAll(present);
      stuckSince.keySet().retainAll(present);
    }
    for (TrackedStream s : current) {
      if (s.isReset()) {
        continue;
      }
      Optional<KwikInternals.StreamProgress> p = KwikInternals.progress(s.kwikStream());
      if (p.isEmpty()) {
        continue;
      }
      long offset = p.get().offset();
      Long last = lastOffsets.put(s, offset);
      if (last == null || last != offset) {
        stuckSince.put(s, now);
        continue;
      }
      if (!p.get().unsent()) {
        continue;
      }
      Object stream = s.kwikStream();
      if (p.get().queuedRequests() <= 0) {
        // No request queued and no progress since the last look: the lost wakeup.
        kicks++; // queuing a send request may take the sender's lock: off the loop
        blockingCalls.execute(() -> KwikInternals.kick(stream, false));
      } else if (now - stuckSince.getOrDefault(s, now) >= STUCK.toNanos()) {
        // The counter claims a queued request, yet nothing moved for a long while: the request
        // was lost too. (Forcing at every look made things worse in measurements; only this late.)
        stuckSince.put(s, now);
        kicks++;
        blockingCalls.execute(() -> KwikInternals.kick(stream, true));
      }
    }
  }
}
