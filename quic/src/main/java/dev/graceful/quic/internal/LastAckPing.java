package dev.graceful.quic.internal;

import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import tech.kwik.core.QuicConnection;

/**
 * Everything was sent and only acknowledgements are missing: after a moment (an immediate
 * acknowledgement would have come within the RTT), one PING makes the peer acknowledge at once
 * instead of after its max_ack_delay (a 20–25 ms tail on every drain otherwise). Loop thread.
 */
final class LastAckPing {
  /** How long a drain waits for the last acknowledgement before it elicits one. */
  static final Duration ACK_WAIT = Duration.ofMillis(2);

  private final QuicConnection connection;
  private final Executor blockingCalls;
  private final TrackedStreams streams;
  private long allSentSinceNanos = -1;
  private boolean pinged;

  /**
   * @param connection the Kwik connection
   * @param blockingCalls where the PING is queued (never the loop)
   * @param streams the streams whose data must all be sent first
   */
  LastAckPing(QuicConnection connection, Executor blockingCalls, TrackedStreams streams) {
    this.connection = connection;
    this.blockingCalls = blockingCalls;
    this.streams = streams;
  }

  /**
   * Sends the PING once everything has been sent for long enough; at most one per connection.
   *
   * @param now the drain's clock, in nanoseconds
   */
  void elicitLastAck(long now) {
    if (pinged || !streams.everythingSent()) {
      allSentSinceNanos = -1;
      return;
    }
    if (allSentSinceNanos < 0) {
      allSentSinceNanos = now;
      return;
    }
    long wait =
        Math.max(
            ACK_WAIT.toNanos(), TimeUnit.MILLISECONDS.toNanos(connection.getStats().smoothedRtt()));
    if (now - allSentSinceNanos >= wait) {
      pinged = true;
      blockingCalls.execute(() -> KwikInternals.elicitAck(connection));
    }
  }
}
