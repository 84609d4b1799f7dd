package dev.graceful.tls.internal;

import dev.graceful.core.Initiator;
import dev.graceful.core.ShutdownException;
import dev.graceful.core.ShutdownException.Reason;
import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownState;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;

/**
 * What has happened to one connection so far, as {@code SSL_get_shutdown()} and the {@link
 * ShutdownResult} report it: the shutdown bits, who closed first, whether the shutdown was quiet or
 * ended by a bare EOF, whether a fatal error ended the connection, and the application bytes read.
 * Also makes the {@link ShutdownException}s that carry the connection's identity and state.
 *
 * <p>Written on the engine's loop only; {@link #state()} and {@link #bytesRead()} may be read from
 * any thread.
 */
final class ShutdownLedger {
  private final TlsTransport transport;
  // The state's bits, not the enum: a reference stored into a long-lived connection costs the
  // garbage collector a card mark (see BufferPool); an int costs nothing.
  private volatile int stateBits;
  private boolean fatal;
  private boolean released;
  private boolean peerFirst;
  private boolean quiet;
  private boolean unauthenticatedEof;
  private volatile long bytesRead;

  /**
   * @param transport the connection's transport, which names it
   */
  ShutdownLedger(TlsTransport transport) {
    this.transport = transport;
  }

  /**
   * @return the connection's identity
   */
  String connectionId() {
    return transport.describe();
  }

  /**
   * @return the current state; any thread
   */
  ShutdownState state() {
    return ShutdownState.ofBits(stateBits);
  }

  /**
   * @return true after a fatal error (SSL_ERROR_SYSCALL / SSL_ERROR_SSL)
   */
  boolean fatal() {
    return fatal;
  }

  /** The connection was released (SSL_free): its transport is closed and nothing may follow. */
  void markReleased() {
    released = true;
  }

  /**
   * @return application bytes read over the connection; any thread
   */
  long bytesRead() {
    return bytesRead;
  }

  /**
   * SSL_set_shutdown: adds bits without sending anything. Clearing bits is refused: the state must
   * stay truthful, and a close_notify already sent or received cannot be taken back.
   *
   * @param next the new state, a superset of the current one
   */
  void setState(ShutdownState next) {
    ShutdownState now = state();
    if (now.with(next) != next) {
      throw new IllegalArgumentException(
          "cannot clear shutdown bits: "
              + now
              + " -> "
              + next
              + " (a sent or received close stays so)");
    }
    if (!now.received() && next.received() && !now.sent()) {
      peerFirst = true;
    }
    stateBits = next.bits();
  }

  /** A quiet shutdown: both bits set, nothing sent; a close not begun by the peer is ours. */
  void quiet() {
    if (!state().sent()) {
      quiet = true;
    }
    if (!state().received() && !state().sent()) {
      peerFirst = false;
    }
    stateBits = ShutdownState.SENT_AND_RECEIVED.bits();
  }

  /** Sets SENT: our close_notify is about to be attempted. */
  void markSent() {
    stateBits |= ShutdownState.SENT.bits(); // the loop is the only writer
  }

  /** Sets RECEIVED, and notes the peer closed first if we had not sent. */
  void markReceived() {
    if (!state().received()) {
      if (!state().sent()) {
        peerFirst = true;
      }
      stateBits |= ShutdownState.RECEIVED.bits(); // the loop is the only writer
    }
  }

  /** The transport ended without a close_notify and the caller accepts that as the peer's close. */
  void markUnauthenticatedEof() {
    unauthenticatedEof = true;
    markReceived();
  }

  /**
   * @param n application bytes just handed out
   */
  void countRead(int n) {
    bytesRead += n;
  }

  /**
   * @param protocol the negotiated protocol
   * @return a result builder filled with what this ledger holds
   */
  ShutdownResult.Builder describe(String protocol) {
    ShutdownState s = state();
    return ShutdownResult.builder(connectionId())
        .protocol(protocol)
        .state(s)
        .initiator(peerFirst ? Initiator.PEER : Initiator.LOCAL)
        .connectionBytesRead(bytesRead)
        .unauthenticatedEof(unauthenticatedEof)
        .quiet(quiet)
        .sessionResumable(s.sent() && !fatal)
        .truncationRisk(!s.received());
  }

  // ------------------------------------------------------------------ errors

  /**
   * @throws ShutdownException ILLEGAL_STATE after a fatal error or once released
   */
  void checkUsable() throws ShutdownException {
    ShutdownState s = state();
    if (released && !(s.sent() && s.received())) {
      // SSL_free: nothing may be done with the connection afterwards; refusing keeps the state
      // truthful (nothing is sent, SENT is not set) and the session as release() left it. A
      // shutdown that had already completed needs no I/O: asked again, it reports that completion
      // ("SSL_shutdown() ... returns 1" once both close_notify alerts went), as before release.
      throw error(Reason.ILLEGAL_STATE, "the connection was released: its transport is closed");
    }
    if (fatal) {
      // "SSL_shutdown() should not be called if a previous fatal error has occurred" (T11)
      throw error(Reason.ILLEGAL_STATE, "a fatal error already ended this connection");
    }
  }

  /**
   * Marks the connection failed.
   *
   * @return the exception to throw
   */
  ShutdownException fail(Reason reason, String message, Throwable cause) {
    fatal = true;
    return new ShutdownException(reason, connectionId(), state(), message, cause);
  }

  /**
   * @param e a transport failure
   * @return its own words, or for an exception without any (the JDK's {@code
   *     ClosedChannelException}) what it means, naming the transport
   */
  String explain(IOException e) {
    if (e.getMessage() != null) {
      return e.getMessage();
    }
    if (e instanceof ClosedChannelException) {
      return "the transport " + connectionId() + " is closed";
    }
    return e.getClass().getName() + " on " + connectionId();
  }

  /**
   * @return an exception to throw, leaving the connection usable
   */
  ShutdownException error(Reason reason, String message) {
    return new ShutdownException(reason, connectionId(), state(), message, null);
  }
}
