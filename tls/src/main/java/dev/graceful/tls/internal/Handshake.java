package dev.graceful.tls.internal;

import dev.graceful.core.ShutdownException;
import dev.graceful.core.ShutdownException.Reason;
import dev.graceful.tls.internal.TlsEngine.Progress;
import java.io.IOException;
import java.util.concurrent.Executor;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;

/**
 * One connection's handshake on the JDK {@link SSLEngine}: driven by the engine's handshake status
 * over the {@link RecordLayer}, with DTLS retransmission of our last flight, and what the first
 * handshake leaves behind (the negotiated protocol, whether the session was resumed). Confined to
 * the engine's loop; the engine's slow tasks run elsewhere, on the executor it names.
 */
final class Handshake {
  private final RecordLayer records;
  private final ShutdownLedger ledger;
  private final Executor delegatedTasks;
  private boolean begun;
  private boolean resumed;
  private String protocol; // negotiated, once the handshake has finished

  /**
   * @param records the connection's record layer
   * @param ledger the connection's ledger
   * @param delegatedTasks where the JDK engine's slow handshake tasks run; never the loop
   */
  Handshake(RecordLayer records, ShutdownLedger ledger, Executor delegatedTasks) {
    this.records = records;
    this.ledger = ledger;
    this.delegatedTasks = delegatedTasks;
  }

  /**
   * @return where the JDK engine's delegated tasks run, when {@link Progress#TASKS} asks
   */
  Executor delegatedTasks() {
    return delegatedTasks;
  }

  /**
   * @return true if the handshake resumed a session (read from the hello messages)
   */
  boolean resumed() {
    return resumed;
  }

  /**
   * @return the negotiated protocol once the first handshake finished, else null
   */
  String protocol() {
    return protocol;
  }

  /**
   * Advances the handshake.
   *
   * @return what is needed next
   * @throws ShutdownException on failure; hand it to {@link #failure}
   */
  Progress advance() throws ShutdownException {
    ledger.checkUsable();
    SSLEngine ssl = records.ssl();
    if (!begun) {
      begun = true;
      try {
        ssl.beginHandshake();
      } catch (SSLException e) {
        throw ledger.fail(Reason.PROTOCOL, "cannot begin the handshake: " + ledger.explain(e), e);
      }
    }
    for (; ; ) {
      HandshakeStatus hs = ssl.getHandshakeStatus();
      switch (hs) {
        case NEED_TASK:
          return Progress.TASKS;
        case NEED_WRAP:
          SSLEngineResult w = records.wrap(RecordLayer.EMPTY);
          if (w.getStatus() == SSLEngineResult.Status.BUFFER_OVERFLOW && !records.flush()) {
            return Progress.WANT_WRITE;
          }
          if (w.getStatus() == SSLEngineResult.Status.CLOSED) {
            records.flushQuietly();
            throw ledger.fail(Reason.PROTOCOL, "the handshake was closed", null);
          }
          break;
        case NEED_UNWRAP:
        case NEED_UNWRAP_AGAIN:
          if (!records.flush()) {
            return Progress.WANT_WRITE;
          }
          SSLEngineResult r = records.unwrapOnce();
          if (r == null || r.getStatus() == SSLEngineResult.Status.BUFFER_UNDERFLOW) {
            int n = records.readTransport();
            if (n < 0) {
              throw ledger.fail(
                  Reason.TRUNCATED, "the transport closed during the handshake", null);
            }
            if (n == 0) {
              return Progress.WANT_READ;
            }
          } else if (r.getStatus() == SSLEngineResult.Status.CLOSED) {
            throw ledger.fail(Reason.PROTOCOL, "the peer closed during the handshake", null);
          }
          break;
        default: // FINISHED, NOT_HANDSHAKING
          if (records.observesHellos()) {
            resumed = records.endHelloObservation(); // only the first handshake is observed
            // kept: describing a shutdown then needs no call into the engine, which takes its lock
            protocol = ssl.getSession().getProtocol();
          }
          return records.flush() ? Progress.DONE : Progress.WANT_WRITE;
      }
    }
  }

  /**
   * @return true while the first handshake is still waiting for the peer's flight
   */
  boolean awaitsPeerFlight() {
    HandshakeStatus hs = records.ssl().getHandshakeStatus();
    return records.observesHellos()
        && (hs == HandshakeStatus.NEED_UNWRAP || hs == HandshakeStatus.NEED_UNWRAP_AGAIN);
  }

  /**
   * DTLS retransmission (RFC 6347 §4.2.4): the timer expired while waiting for the peer's flight,
   * so our last flight is presumed lost. In the JDK engine, "a call to SSLEngine.wrap() [in
   * NEED_UNWRAP] means that the previous handshake packets (if delivered) get lost, and need
   * retransmit the handshake messages."
   *
   * @return the handshake's next need
   * @throws ShutdownException on failure, as {@link #advance()}
   */
  Progress retransmit() throws ShutdownException {
    if (records.datagram() && awaitsPeerFlight()) {
      SSLEngineResult r;
      do {
        r = records.wrap(RecordLayer.EMPTY);
        if (!records.flush()) {
          return Progress.WANT_WRITE;
        }
      } while (r.bytesProduced() > 0 && r.getHandshakeStatus() == HandshakeStatus.NEED_WRAP);
    }
    return advance();
  }

  /**
   * A failed handshake is reported as what it is: the JDK's {@link SSLHandshakeException} as
   * thrown, another {@link SSLException} of the engine wrapped in one (message and cause kept), an
   * ending by the peer as one of our own. Transport errors and refusals stay {@link
   * ShutdownException}s. The fatal alert the JDK engine prepared (after a failed certificate check:
   * {@code bad_certificate}, {@code certificate_unknown}) is sent first, best effort, so that the
   * peer learns why.
   *
   * @param e what {@link #advance()} or {@link #retransmit()} threw
   * @return the exception to throw
   */
  IOException failure(ShutdownException e) {
    if (e.reason() == Reason.TRANSPORT || e.reason() == Reason.ILLEGAL_STATE) {
      return e;
    }
    records.sendAlertQuietly();
    Throwable cause = e.getCause();
    if (cause instanceof SSLHandshakeException h) {
      return h;
    }
    String message =
        cause instanceof SSLException ssl && ssl.getMessage() != null
            ? ssl.getMessage()
            : ledger.connectionId() + ": " + message(e);
    SSLHandshakeException h = new SSLHandshakeException(message);
    if (cause != null) {
      h.initCause(cause);
    }
    return h;
  }

  /**
   * @return the failure's own words, without the reason and state a shutdown error carries
   */
  private static String message(ShutdownException e) {
    String m = String.valueOf(e.getMessage());
    int colon = m.indexOf("]: ");
    return colon >= 0 ? m.substring(colon + 3) : m;
  }
}
