package dev.graceful.tls.internal;

import dev.graceful.core.Inbound;
import dev.graceful.core.ShutdownException;
import dev.graceful.core.ShutdownException.Reason;
import java.nio.ByteBuffer;
import java.util.function.BooleanSupplier;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;

/**
 * The inbound side of one connection up to the peer's close_notify: unwraps records, drops DTLS
 * replays, hands application data to the {@link Inbound} policy and counts it, and notes the peer's
 * close (or a bare EOF) in the {@link ShutdownLedger}. Confined to the engine's loop.
 */
final class RecordReader {
  /** Records unwrapped per step before yielding the loop to other connections and timers. */
  static final int RECORDS_PER_STEP = 16;

  /** How reading stopped. */
  enum Pumped {
    /** The peer's close is processed: RECEIVED is set. */
    CLOSED,
    /** Nothing more to unwrap without new input from the transport. */
    NEED_INPUT,
    /** The budget is spent; input may be buffered still. */
    YIELD
  }

  private final RecordLayer records;
  private final RecordBuffers buffers;
  private final ShutdownLedger ledger;
  private final ReplayWindow replays; // DTLS only
  private long replayedRecords;

  /**
   * @param records the connection's record layer
   * @param buffers the connection's buffers
   * @param ledger where the peer's close and the bytes read are noted
   * @param replays the DTLS anti-replay window, null for TLS
   */
  RecordReader(
      RecordLayer records, RecordBuffers buffers, ShutdownLedger ledger, ReplayWindow replays) {
    this.records = records;
    this.buffers = buffers;
    this.ledger = ledger;
    this.replays = replays;
  }

  /**
   * @return DTLS application records dropped as replays (RFC 6347 anti-replay)
   */
  long replayedRecords() {
    return replayedRecords;
  }

  /**
   * Unwraps records and hands out application data until the peer's close_notify, no more input, or
   * the per-step budget is spent. Post-handshake messages (TLS 1.3 tickets, key updates) are
   * processed on the way: "any final handshake-layer messages received are processed".
   *
   * @param inbound where data goes
   * @param ignoreUnexpectedEof whether EOF without close_notify counts as the peer's close
   * @param mayRead whether to read the transport, or only process what is buffered
   * @return how reading stopped
   * @throws ShutdownException TRUNCATED, PROTOCOL, TRANSPORT, or UNREAD_DATA for {@code refuse}
   */
  Pumped pump(Inbound inbound, boolean ignoreUnexpectedEof, boolean mayRead)
      throws ShutdownException {
    return pump(inbound, ignoreUnexpectedEof, mayRead, null);
  }

  /**
   * As {@link #pump(Inbound, boolean, boolean)}, handing out data only while {@code wanted} says
   * so: data nobody wants yet stays in the connection, unread, for the next reader, and nothing
   * more is unwrapped meanwhile.
   *
   * @param wanted asked before each hand-out; null for always
   */
  Pumped pump(Inbound inbound, boolean ignoreUnexpectedEof, boolean mayRead, BooleanSupplier wanted)
      throws ShutdownException {
    int budget = RECORDS_PER_STEP;
    for (; ; ) {
      if (!deliver(inbound, wanted)) {
        return Pumped.YIELD;
      }
      if (ledger.state().received()) {
        return Pumped.CLOSED;
      }
      if (budget-- == 0) {
        return Pumped.YIELD;
      }
      SSLEngineResult r = records.unwrapOnce();
      if (r != null && r.getStatus() != SSLEngineResult.Status.BUFFER_UNDERFLOW) {
        if (replays != null && r.bytesProduced() > 0 && !replays.accept(r.sequenceNumber())) {
          ByteBuffer appIn = buffers.appIn();
          appIn.position(appIn.position() - r.bytesProduced()); // a replayed record: drop it
          replayedRecords++;
        }
        if (r.getStatus() == SSLEngineResult.Status.CLOSED) {
          ledger.markReceived();
        } else {
          afterPostHandshake(r);
        }
        continue;
      }
      if (!mayRead) {
        return Pumped.NEED_INPUT;
      }
      int n = records.readTransport();
      if (n == 0) {
        return Pumped.NEED_INPUT;
      }
      if (n < 0) {
        if (buffers.netIn().position() > 0) {
          throw ledger.fail(
              Reason.TRUNCATED, "the transport closed in the middle of a TLS record", null);
        }
        if (!ignoreUnexpectedEof) {
          // "There are SSL/TLS implementations that never send the required close_notify alert
          // but simply close the underlying transport ... This will ordinarily result in an error"
          throw ledger.fail(Reason.TRUNCATED, "the transport closed without a close_notify", null);
        }
        ledger.markUnauthenticatedEof();
      }
    }
  }

  /**
   * Hands decrypted bytes to the inbound policy; refuses with UNREAD_DATA, keeping them.
   *
   * @return false when there were bytes and {@code wanted} declined them: they stay pending
   */
  private boolean deliver(Inbound inbound, BooleanSupplier wanted) throws ShutdownException {
    ByteBuffer appIn = buffers.appIn();
    if (appIn.position() == 0) {
      return true;
    }
    if (wanted != null && !wanted.getAsBoolean()) {
      return false;
    }
    if (inbound instanceof Inbound.Refuse) {
      throw ledger.error(
          Reason.UNREAD_DATA,
          appIn.position()
              + " bytes of application data are pending and the caller chose not to read them");
    }
    appIn.flip();
    int n = appIn.remaining();
    if (inbound instanceof Inbound.Deliver d) {
      d.consumer().accept(appIn.asReadOnlyBuffer());
    }
    appIn.clear();
    ledger.countRead(n);
    return true;
  }

  private void afterPostHandshake(SSLEngineResult r) throws ShutdownException {
    HandshakeStatus hs = r.getHandshakeStatus();
    if (hs == HandshakeStatus.NEED_TASK) {
      records.runDelegatedTasks();
      hs = records.ssl().getHandshakeStatus();
    }
    if (hs == HandshakeStatus.NEED_WRAP
        && !records.ssl().isInboundDone()
        && !ledger.state().sent()) {
      records.wrap(RecordLayer.EMPTY); // e.g. a TLS 1.3 KeyUpdate answer
      records.flush();
    }
  }
}
