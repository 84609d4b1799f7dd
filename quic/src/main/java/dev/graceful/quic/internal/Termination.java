package dev.graceful.quic.internal;

import dev.graceful.core.ShutdownState;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import tech.kwik.core.ConnectionTerminatedEvent;

/**
 * How the connection ended, as Kwik reported it: whether it is over for any reason (a local close
 * included), whether something other than our close terminated it (the peer's CONNECTION_CLOSE, an
 * idle timeout, a stateless reset, a loss), who was first, and the peer's code and reason. Loop
 * thread.
 */
final class Termination {
  private final ConnectionClose close;
  private final List<Runnable> endListeners = new ArrayList<>(1);
  private boolean over; // Kwik reported the end, for any reason
  private boolean terminated; // the peer closed, or idle timeout, stateless reset, loss
  private boolean peerFirst;
  private OptionalLong peerErrorCode = OptionalLong.empty();
  private Optional<String> peerReason = Optional.empty();

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
   * @param e Kwik's report of the end, for any reason
   */
  void onTerminated(ConnectionTerminatedEvent e) {
    if (e.closedByPeer()) {
      // Q6, Q11: the peer's CONNECTION_CLOSE; Kwik answers it with one CONNECTION_CLOSE of its own
      // ("MAY send a single packet containing a CONNECTION_CLOSE frame before entering the
      // draining state") and drains.
      Long code = e.hasApplicationError() ? e.applicationErrorCode() : e.transportErrorCode();
      peerErrorCode = code == null ? OptionalLong.of(0) : OptionalLong.of(code);
      peerReason = Optional.of(rawReason(e));
      markTerminated(ShutdownState.SENT_AND_RECEIVED);
    } else if (e.closeReason() != ConnectionTerminatedEvent.CloseReason.ImmediateClose) {
      // Q8, Q11: idle timeout, stateless reset, connection lost: terminated for another reason.
      markTerminated(ShutdownState.RECEIVED);
    }
  }

  /**
   * @param bits what the termination adds to the state
   */
  void markTerminated(ShutdownState bits) {
    if (!close.started() && !close.state().sent()) {
      peerFirst = true;
    }
    terminated = true;
    close.add(bits);
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
