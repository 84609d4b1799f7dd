package dev.graceful.quic.internal;

import dev.graceful.core.CloseInfo;
import dev.graceful.core.ShutdownState;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.jspecify.annotations.Nullable;
import tech.kwik.core.ConnectionTerminatedEvent;

/**
 * How the connection ended, as Kwik reported it: whether it is over for any reason (a local close
 * included), whether something other than our close terminated it (the peer's CONNECTION_CLOSE, an
 * idle timeout, a stateless reset, a loss, Kwik's own close on a protocol error), who was first,
 * the peer's code and reason, and the {@link CloseInfo} of the close that ended it (Q12). Loop
 * thread, but for {@link #closeInfo()}.
 */
final class Termination {
  private final ConnectionClose close;
  private final List<Runnable> endListeners = new ArrayList<>(1);
  private boolean over; // Kwik reported the end, for any reason
  private boolean terminated; // the peer closed, or idle timeout, stateless reset, loss
  private boolean peerFirst;
  private OptionalLong peerErrorCode = OptionalLong.empty();
  private Optional<String> peerReason = Optional.empty();
  // Q12: the close that ended the connection; written on the loop, read by stream writes too
  private volatile @Nullable CloseInfo closeInfo;

  /**
   * @param close our close, whose state a termination adds to
   */
  Termination(ConnectionClose close) {
    this.close = close;
  }

  /**
   * @return true once Kwik reported the end, for any reason
   */
  boolean over() {
    return over;
  }

  /**
   * @return true once the peer closed, or idle timeout, stateless reset, loss ended the connection
   */
  boolean terminated() {
    return terminated;
  }

  /**
   * @return true when the termination came before any close of ours
   */
  boolean peerFirst() {
    return peerFirst;
  }

  /**
   * @return the code of the peer's CONNECTION_CLOSE, if one arrived
   */
  OptionalLong peerErrorCode() {
    return peerErrorCode;
  }

  /**
   * @return the reason of the peer's CONNECTION_CLOSE, if one arrived
   */
  Optional<String> peerReason() {
    return peerReason;
  }

  /**
   * @return the close that ended the connection, ours or another's, once one is known
   */
  @Nullable CloseInfo closeInfo() {
    return closeInfo;
  }

  /**
   * Q12: our application close was handed to Kwik, with the code and reason it carries (already
   * fitted). Kept unless something else ended the connection first.
   *
   * @param ours the close we asked for
   */
  void localClose(CloseInfo ours) {
    if (closeInfo == null) {
      closeInfo = ours;
    }
  }

  /**
   * @param e Kwik's report of the end, for any reason
   */
  void onTerminated(ConnectionTerminatedEvent e) {
    ConnectionTerminatedEvent.CloseReason why = e.closeReason();
    if (why == ConnectionTerminatedEvent.CloseReason.ImmediateClose && e.closedByPeer()) {
      // Q6, Q11: the peer's CONNECTION_CLOSE; Kwik answers it with one CONNECTION_CLOSE of its own
      // ("MAY send a single packet containing a CONNECTION_CLOSE frame before entering the
      // draining state") and drains. Kwik reports it only when it was not closing already: it
      // came first, whatever we asked for meanwhile.
      String reason = reason(e);
      closeInfo = closeFrame(e, reason, false);
      peerErrorCode = OptionalLong.of(closeInfo.errorCode());
      peerReason = Optional.of(reason);
      markTerminated(ShutdownState.SENT_AND_RECEIVED);
    } else if (why == ConnectionTerminatedEvent.CloseReason.ImmediateClose) {
      // Kwik's own immediate close: ours, or one Kwik made itself (on a protocol error of the
      // peer's it detected, or for the application's close of the Kwik connection directly). Kwik
      // reports only the first, so this one is what went out.
      CloseInfo sent = closeFrame(e, reason(e), true);
      closeInfo = sent;
      if (!close.started() || sent.transport() || sent.errorCode() != close.code()) {
        // not ours (Q8, Q11): a termination like any other, and Kwik sent its CONNECTION_CLOSE
        markTerminated(ShutdownState.SENT_AND_RECEIVED);
      }
    } else {
      // Q8, Q11: idle timeout, stateless reset, connection lost: no CONNECTION_CLOSE at all. The
      // idle timer and the loss detector are this side's; a stateless reset is the peer's packet.
      boolean reset = why == ConnectionTerminatedEvent.CloseReason.StatelessReset;
      if (!reset || !close.started()) {
        // Kwik reports an idle timeout or a loss only when it was not closing already; a
        // stateless reset, also during our closing period, where our close came first
        closeInfo = CloseInfo.transport(0, 0, silentEnd(why), !reset);
      }
      markTerminated(ShutdownState.RECEIVED);
    }
  }

  /** The reason graceful gives an end without any CONNECTION_CLOSE. */
  private static String silentEnd(ConnectionTerminatedEvent.CloseReason why) {
    return switch (why) {
      case IdleTimeout -> "idle timeout";
      case StatelessReset -> "stateless reset";
      // Kwik's idle timeout when its last packets went unacknowledged
      default -> "connection lost: idle timeout with probes unacknowledged";
    };
  }

  /**
   * Q12 for a connection that ended on its own, no close of ours involved (a handshake that
   * failed): the CONNECTION_CLOSE either side sent, or the silent end.
   *
   * @param e Kwik's report of the end
   * @return how the connection was closed
   */
  static CloseInfo of(ConnectionTerminatedEvent e) {
    ConnectionTerminatedEvent.CloseReason why = e.closeReason();
    if (why == ConnectionTerminatedEvent.CloseReason.ImmediateClose) {
      return closeFrame(e, reason(e), !e.closedByPeer());
    }
    return CloseInfo.transport(
        0, 0, silentEnd(why), why != ConnectionTerminatedEvent.CloseReason.StatelessReset);
  }

  /**
   * A connection that had ended before graceful listened: Kwik's state says so, but its report went
   * to no one, so how it ended is unknown.
   */
  void endedUnseen() {
    closeInfo = CloseInfo.transport(0, 0, "ended before graceful wrapped the connection", false);
    markTerminated(ShutdownState.RECEIVED);
  }

  /**
   * @param bits what the termination adds to the state
   */
  private void markTerminated(ShutdownState bits) {
    if (!close.started() && !close.state().sent()) {
      peerFirst = true;
    }
    terminated = true;
    close.add(bits);
  }

  /**
   * Q12 from a CONNECTION_CLOSE as Kwik reports it. Kwik gives no frame type for a transport close
   * (reported as 0, unknown), and reports a peer's close with code 0 without saying whether it was
   * a transport or an application close: that one is reported as an application close, the kind
   * OpenSSL's and graceful's shutdowns send by default. A local close with no code is Kwik's
   * transport NO_ERROR (an application close always carries its code).
   */
  private static CloseInfo closeFrame(ConnectionTerminatedEvent e, String reason, boolean local) {
    if (e.hasApplicationError()) {
      return CloseInfo.application(e.applicationErrorCode(), reason, local);
    }
    if (e.hasTransportError()) {
      return CloseInfo.transport(e.transportErrorCode(), 0, reason, local);
    }
    return local
        ? CloseInfo.transport(0, 0, reason, true)
        : CloseInfo.application(0, reason, false);
  }

  /** The reason as sent: read from the event, or from Kwik's description of it. */
  private static String reason(ConnectionTerminatedEvent e) {
    return KwikInternals.terminationReason(e).orElseGet(() -> rawReason(e));
  }

  /** Kwik formats "Application error: 42 (reason)"; the reason is what the peer sent. */
  static String rawReason(ConnectionTerminatedEvent e) {
    String d = e.errorDescription();
    int open = d.indexOf(" (");
    return open >= 0 && d.endsWith(")") ? d.substring(open + 2, d.length() - 1) : "";
  }

  /**
   * @return true for a Kwik connection state past the connection's life: closing, draining, closed,
   *     failed
   */
  static boolean isOver(String kwikState) {
    return switch (kwikState) {
      case "Closing", "Draining", "Closed", "Failed", "Error" -> true;
      default -> false;
    };
  }

  /**
   * @param r runs once the connection is over, or now if it is
   */
  void whenEnded(Runnable r) {
    if (over) {
      r.run();
    } else {
      endListeners.add(r);
    }
  }

  /**
   * @return false when the end was reported already: then nothing is to be done
   */
  boolean markOver() {
    if (over) {
      return false;
    }
    over = true;
    return true;
  }

  /** Runs every callback waiting for the end, once. */
  void runEndListeners() {
    List<Runnable> todo = new ArrayList<>(endListeners);
    endListeners.clear();
    todo.forEach(Runnable::run);
  }
}
