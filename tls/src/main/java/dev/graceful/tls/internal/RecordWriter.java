package dev.graceful.tls.internal;

import dev.graceful.core.ShutdownException;
import dev.graceful.core.ShutdownException.Reason;
import dev.graceful.tls.internal.TlsEngine.Progress;
import java.nio.ByteBuffer;
import javax.net.ssl.SSLEngineResult;

/**
 * The outbound side of one connection: encrypts and writes application data, counts the sends in
 * flight, and sends our close_notify once, after them. Confined to the engine's loop.
 */
final class RecordWriter {
  private final RecordLayer records;
  private final ShutdownLedger ledger;
  private int pendingWrites;
  private boolean closeWrapped;

  /**
   * @param records the connection's record layer
   * @param ledger where SENT is set
   */
  RecordWriter(RecordLayer records, ShutdownLedger ledger) {
    this.records = records;
    this.ledger = ledger;
  }

  /**
   * Encrypts and writes as much of {@code src} as the transport takes. T2: refused once SENT is set
   * ("Once SSL_shutdown() is called, SSL_write(3) can no longer be used").
   *
   * @param src plaintext; its position advances
   * @return DONE when all of it is written, WANT_WRITE otherwise
   * @throws ShutdownException ILLEGAL_STATE after shutdown or a fatal error; TRANSPORT, PROTOCOL
   */
  Progress write(ByteBuffer src) throws ShutdownException {
    ledger.checkUsable();
    if (ledger.state().sent()) {
      throw ledger.error(
          Reason.ILLEGAL_STATE, "write after shutdown: our close_notify was already sent");
    }
    for (; ; ) {
      if (!records.flush()) {
        return Progress.WANT_WRITE;
      }
      if (!src.hasRemaining()) {
        return Progress.DONE;
      }
      SSLEngineResult r = records.wrap(src);
      if (r.getStatus() == SSLEngineResult.Status.CLOSED) {
        throw ledger.error(
            Reason.ILLEGAL_STATE,
            "the engine refuses to write: the peer closed and the JDK's "
                + records.ssl().getSession().getProtocol()
                + " engine closed its outbound side too");
      }
    }
  }

  /** Counts a send that has started and not ended; our close_notify waits for it. */
  void writeStarted() {
    pendingWrites++;
  }

  /** Ends what {@link #writeStarted()} began. */
  void writeEnded() {
    pendingWrites--;
  }

  /**
   * Our close_notify is not to be sent: SSL_set_shutdown(SENT) or a quiet shutdown set SENT without
   * it. "SSL_shutdown() will not send close_notify" then.
   */
  void skipClose() {
    closeWrapped = true;
  }

  /**
   * Sends our close_notify once and flushes. T1: "the SSL_SENT_SHUTDOWN flag is set once an attempt
   * is made to send a close_notify alert, regardless of whether the attempt was successful."
   *
   * @return true when nothing is left to write
   */
  boolean sendClose() throws ShutdownException {
    if (!ledger.state().sent() && pendingWrites > 0) {
      return false; // sends already accepted go out before our close_notify
    }
    if (!ledger.state().sent()) {
      ledger.markSent();
      records.ssl().closeOutbound();
    }
    while (!closeWrapped) {
      SSLEngineResult r = records.wrap(RecordLayer.EMPTY);
      if (r.getStatus() == SSLEngineResult.Status.BUFFER_OVERFLOW) {
        if (!records.flush()) {
          return false;
        }
      } else if (records.ssl().isOutboundDone()) {
        closeWrapped = true;
      }
    }
    return records.flush();
  }
}
