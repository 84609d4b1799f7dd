package dev.graceful.quic.internal;

import dev.graceful.core.ShutdownState;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import reactor.core.Disposable;
import reactor.core.scheduler.Scheduler;
import tech.kwik.core.QuicConnection;
import tech.kwik.core.Statistics;

/**
 * Our side of the connection's close: the code and reason it carries, the immediate close handed to
 * Kwik, the closing period that follows it, and the {@link ShutdownState} the engine reports (a
 * termination adds its bits here too). Loop thread, but for {@link #state()}.
 */
final class ConnectionClose {
  /** Kwik's default max_ack_delay (RFC 9000 §18.2 default, 25 ms), for a PTO estimate. */
  private static final int DEFAULT_MAX_ACK_DELAY_MS = 25;

  private final QuicConnection connection;
  private final Executor blockingCalls;
  private final Readiness readiness;
  private volatile ShutdownState state = ShutdownState.NONE;
  private long closeCode; // Q1, Q4: given by closeWith before the first step
  private String closeReason = "";
  private boolean localCloseStarted;
  private boolean closeInFlight;
  private boolean closingPeriodOver;
  private @Nullable Disposable closingTimer;

  /**
   * @param connection the Kwik connection
   * @param blockingCalls where Kwik's close() runs (never the loop)
   * @param readiness wakes the waiting step when the close returned or the closing period ended
   */
  ConnectionClose(QuicConnection connection, Executor blockingCalls, Readiness readiness) {
    this.connection = connection;
    this.blockingCalls = blockingCalls;
    this.readiness = readiness;
  }

  /**
   * @return the state; any thread
   */
  ShutdownState state() {
    return state;
  }

  /**
   * @param bits what a termination adds to the state
   */
  void add(ShutdownState bits) {
    state = state.with(bits);
  }

  /**
   * @return the application error code our close carries (or will)
   */
  long code() {
    return closeCode;
  }

  /**
   * @return the reason our close carries (or will), as fitted
   */
  String reason() {
    return closeReason;
  }

  /**
   * @return true once the close was handed to Kwik
   */
  boolean started() {
    return localCloseStarted;
  }

  /**
   * @return true while Kwik's close() has not returned
   */
  boolean inFlight() {
    return closeInFlight;
  }

  /**
   * @return true once the closing period ran out
   */
  boolean closingPeriodOver() {
    return closingPeriodOver;
  }

  /**
   * Q1, Q4: the application error code and reason the close carries, already checked and fitted
   * (Q2, Q3); given before the first step, whose arguments are the ones sent.
   *
   * @param errorCode in [0, 2^62 − 1]
   * @param reason valid UTF-8 that fits one packet
   */
  void closeWith(long errorCode, String reason) {
    closeCode = errorCode;
    closeReason = reason;
  }

  /**
   * Q1: the immediate close with the first shutdown's code and reason. Kwik's close() returns in
   * about a millisecond but may wait for a lock its sender thread holds (RecoveryManager), so it
   * runs off the loop; the step resumes when it returned.
   */
  void closeNow(Scheduler timer) {
    localCloseStarted = true;
    closeInFlight = true;
    state =
        state.with(ShutdownState.SENT); // T1's rule for QUIC (Q11): set when sending is attempted
    long code = closeCode;
    String reason = closeReason;
    blockingCalls.execute(
        () -> {
          try {
            connection.close(code, reason);
          } finally {
            readiness.onLoop(
                () -> {
                  closeInFlight = false;
                  // Q6/Q7: the closing period runs from the close, whoever waits for it (a
                  // rapid or non-blocking shutdown does not)
                  armClosingPeriod(timer);
                  readiness.wake();
                });
          }
        });
  }

  /** Q6: the closing period, three times the PTO from the close; armed once. */
  void armClosingPeriod(Scheduler timer) {
    if (closingTimer == null) {
      long ms = 3L * pto();
      closingTimer =
          timer.schedule(
              () -> readiness.onLoop(this::closingPeriodEnds), ms, TimeUnit.MILLISECONDS);
    }
  }

  private void closingPeriodEnds() {
    closingPeriodOver = true;
    state = state.with(ShutdownState.SENT);
    readiness.wake();
  }

  /** Only Kwik's Draining state proves the peer's CONNECTION_CLOSE arrived during our closing. */
  boolean peerMovedUsToDraining() {
    return KwikInternals.state(connection).map("Draining"::equals).orElse(false);
  }

  private int pto() {
    return KwikInternals.pto(connection).orElseGet(this::estimatedPto);
  }

  /** RFC 9002 §6.2.1: PTO = smoothed_rtt + max(4 × rttvar, kGranularity) + max_ack_delay. */
  private int estimatedPto() {
    Statistics s = connection.getStats();
    return s.smoothedRtt() + Math.max(4 * s.rttVar(), 1) + DEFAULT_MAX_ACK_DELAY_MS;
  }
}
