package dev.graceful.tls.internal;

import dev.graceful.core.Inbound;
import dev.graceful.core.ShutdownException;
import dev.graceful.core.ShutdownException.Reason;
import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownState;
import dev.graceful.core.spi.ShutdownEngine;
import dev.graceful.core.spi.ShutdownRequest;
import dev.graceful.core.spi.Step;
import dev.graceful.tls.internal.RecordReader.Pumped;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.Executor;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLHandshakeException;
import reactor.core.publisher.Mono;

/**
 * One TLS connection's state machine on a JDK {@link SSLEngine} over a {@link TlsTransport}:
 * handshake, application reads and writes, and SSL_shutdown. Confined to the transport's executor;
 * only {@link #state()} is read from other threads.
 *
 * <p>Where the JDK engine differs from OpenSSL: with TLS 1.2, once the peer's close_notify is
 * unwrapped the engine closes its outbound side too and insists on wrapping its own close_notify
 * (NEED_WRAP), so the application cannot write after the peer closed; graceful does not let that
 * reply leave before the application asks for it (a shutdown step sends it and sets SENT). With TLS
 * 1.3 the engine half-closes like OpenSSL and the application may still write before answering.
 *
 * <p>This class runs each operation over the connection's {@link RecordBuffers} and steps the
 * shutdown modes; its parts do the rest: the {@link RecordLayer} moves records between the JDK
 * engine and the transport, the {@link Handshake} drives the handshake, the {@link RecordReader}
 * reads up to the peer's close_notify, the {@link RecordWriter} writes up to ours, and the {@link
 * ShutdownLedger} keeps what the result reports.
 */
public final class TlsEngine implements ShutdownEngine {
  /** What a non-shutdown operation needs next. */
  public enum Progress {
    /** Finished. */
    DONE,
    /** Needs the transport to be readable. */
    WANT_READ,
    /** Needs the transport to be writable. */
    WANT_WRITE,
    /** Needs {@link #runDelegatedTasks()} off the loop. */
    TASKS
  }

  /**
   * Whether {@link #closeTransport()} ran, what to run then, and the sink of {@link #closed()}: the
   * sink is made only for a caller that asks, since a server holds one engine per connection.
   * Guarded by {@link #closeWatch}'s monitor: the engine's own is free for its callers.
   */
  private final CloseWatch closeWatch = new CloseWatch();

  private final TlsTransport transport;
  private final RecordBuffers buffers;
  private final ShutdownLedger ledger;
  private final RecordLayer records;
  private final Handshake handshake;
  private final RecordReader reader;
  private final RecordWriter writer;
  private boolean yielded; // the reader stopped with input still buffered in the engine

  /**
   * @param ssl a configured engine (client or server mode set)
   * @param transport the byte pipe
   * @param delegatedTasks where slow handshake tasks run; never the loop
   * @param datagram true for DTLS: records travel in datagrams that can be lost
   */
  public TlsEngine(
      SSLEngine ssl, TlsTransport transport, Executor delegatedTasks, boolean datagram) {
    this.transport = transport;
    this.buffers =
        new RecordBuffers(
            ssl.getSession().getPacketBufferSize(), ssl.getSession().getApplicationBufferSize());
    this.ledger = new ShutdownLedger(transport);
    this.records = new RecordLayer(ssl, transport, datagram, buffers, ledger);
    this.reader = new RecordReader(records, buffers, ledger, datagram ? new ReplayWindow() : null);
    this.writer = new RecordWriter(records, ledger);
    // last: a shutdown step touches every part but this one; allocated one after another, the
    // parts it touches start out side by side in memory
    this.handshake = new Handshake(records, ledger, delegatedTasks);
  }

  /**
   * @return the JDK engine
   */
  public SSLEngine ssl() {
    return records.ssl();
  }

  /**
   * @return where the JDK engine's delegated tasks run
   */
  public Executor delegatedTasks() {
    return handshake.delegatedTasks();
  }

  /**
   * @return the transport
   */
  public TlsTransport transport() {
    return transport;
  }

  @Override
  public String protocolFamily() {
    return records.datagram() ? "DTLS" : "TLS";
  }

  @Override
  public String connectionId() {
    return transport.describe();
  }

  @Override
  public Executor executor() {
    return transport.executor();
  }

  @Override
  public ShutdownState state() {
    return ledger.state();
  }

  /**
   * @return true after a fatal error (SSL_ERROR_SYSCALL / SSL_ERROR_SSL)
   */
  public boolean isFatal() {
    return ledger.fatal();
  }

  /**
   * @return bytes of buffer capacity this connection holds between operations (network in and out,
   *     plaintext in): zero unless a record is partly received, not yet written, or not yet
   *     delivered
   */
  public int bufferCapacity() {
    return buffers.capacity();
  }

  /**
   * @return true if the handshake resumed a session (read from the hello messages)
   */
  public boolean resumed() {
    return handshake.resumed();
  }

  /**
   * @return application bytes read over the connection
   */
  public long bytesRead() {
    return ledger.bytesRead();
  }

  /**
   * @return DTLS application records dropped as replays (RFC 6347 anti-replay)
   */
  public long replayedRecords() {
    return reader.replayedRecords();
  }

  /**
   * @return true for DTLS
   */
  public boolean isDatagram() {
    return records.datagram();
  }

  /**
   * SSL_set_shutdown: adds bits without sending anything. Clearing bits is refused: the state must
   * stay truthful, and a close_notify already sent or received cannot be taken back.
   *
   * @param next the new state, a superset of the current one
   */
  public void setState(ShutdownState next) {
    boolean sentNow = !ledger.state().sent() && next.sent();
    ledger.setState(next);
    if (sentNow) {
      writer.skipClose(); // SSL_set_shutdown(SENT): SSL_shutdown() will not send close_notify
    }
  }

  // ------------------------------------------------------------------ handshake

  /**
   * Advances the handshake.
   *
   * @return what is needed next
   * @throws SSLHandshakeException when the handshake fails: the JDK engine's own (a certificate not
   *     trusted or for another host, an alert from the peer), with its message and cause, or one
   *     saying how the peer ended the handshake; the connection is then unusable
   * @throws ShutdownException {@code TRANSPORT} when reading or writing fails, {@code
   *     ILLEGAL_STATE} after an earlier fatal error
   */
  public Progress handshake() throws IOException {
    BufferPool lent = buffers.hold();
    try {
      return handshake.advance();
    } catch (ShutdownException e) {
      throw handshake.failure(e);
    } finally {
      buffers.trim(lent);
    }
  }

  /**
   * @return true while the first handshake is still waiting for the peer's flight
   */
  public boolean awaitsPeerFlight() {
    return handshake.awaitsPeerFlight();
  }

  /**
   * DTLS retransmission (RFC 6347 §4.2.4): the timer expired while waiting for the peer's flight,
   * so our last flight is presumed lost; see {@link Handshake#retransmit()}.
   *
   * @return the handshake's next need
   * @throws IOException on failure, as {@link #handshake()}
   */
  public Progress retransmit() throws IOException {
    BufferPool lent = buffers.hold();
    try {
      return handshake.retransmit();
    } catch (ShutdownException e) {
      throw handshake.failure(e);
    } finally {
      buffers.trim(lent);
    }
  }

  /** Runs the engine's delegated tasks; call off the loop (they may be slow). */
  public void runDelegatedTasks() {
    records.runDelegatedTasks();
  }

  // ------------------------------------------------------------------ application data

  /**
   * Encrypts and writes as much of {@code src} as the transport takes. T2: refused once SENT is set
   * ("Once SSL_shutdown() is called, SSL_write(3) can no longer be used").
   *
   * @param src plaintext; its position advances
   * @return DONE when all of it is written, WANT_WRITE otherwise
   * @throws ShutdownException ILLEGAL_STATE after shutdown or a fatal error; TRANSPORT, PROTOCOL
   */
  public Progress write(ByteBuffer src) throws ShutdownException {
    BufferPool lent = buffers.hold();
    try {
      return writer.write(src);
    } finally {
      buffers.trim(lent);
    }
  }

  /** Counts a send that has started and not ended; a shutdown's close_notify waits for it. */
  public void writeStarted() {
    writer.writeStarted();
  }

  /** Ends what {@link #writeStarted()} began. */
  public void writeEnded() {
    writer.writeEnded();
  }

  /**
   * Reads application data until the peer's close_notify or until nothing more is available.
   *
   * @param inbound where data goes
   * @param ignoreUnexpectedEof whether EOF without close_notify counts as the peer's close
   * @return DONE when the peer closed (RECEIVED set), WANT_READ to wait for more
   * @throws ShutdownException TRUNCATED, PROTOCOL, TRANSPORT, or UNREAD_DATA for {@code refuse}
   */
  public Progress read(Inbound inbound, boolean ignoreUnexpectedEof) throws ShutdownException {
    return read(inbound, ignoreUnexpectedEof, null);
  }

  /**
   * As {@link #read(Inbound, boolean)}, handing out each record's data only while {@code wanted}
   * says so (a subscriber's demand): what is not wanted stays in the connection for the next reader
   * and ends this read.
   *
   * @param inbound where data goes
   * @param ignoreUnexpectedEof whether EOF without close_notify counts as the peer's close
   * @param wanted asked before each hand-out; null for always
   * @return DONE when the peer closed (RECEIVED set), WANT_READ to wait for more
   * @throws ShutdownException TRUNCATED, PROTOCOL, TRANSPORT, or UNREAD_DATA for {@code refuse}
   */
  public Progress read(
      Inbound inbound, boolean ignoreUnexpectedEof, java.util.function.BooleanSupplier wanted)
      throws ShutdownException {
    BufferPool lent = buffers.hold();
    try {
      ledger.checkUsable();
      return reader.pump(inbound, ignoreUnexpectedEof, true, wanted) == Pumped.CLOSED
          ? Progress.DONE
          : Progress.WANT_READ;
    } finally {
      buffers.trim(lent);
    }
  }

  // ------------------------------------------------------------------ shutdown

  @Override
  public Step step(ShutdownRequest request) throws ShutdownException {
    BufferPool lent = buffers.hold();
    try {
      return doStep(request);
    } finally {
      buffers.trim(lent);
    }
  }

  private Step doStep(ShutdownRequest request) throws ShutdownException {
    ledger.checkUsable();
    switch (request.mode()) {
      case QUIET:
        // "When quiet shutdown is enabled, SSL_shutdown() will always succeed and return 1
        // immediately." Nothing is sent; both bits are set.
        if (!state().sent()) {
          writer.skipClose();
        }
        ledger.quiet();
        return Step.COMPLETE;
      case WAIT_PEER:
        if (!state().received()) {
          Step waiting = awaitPeer(request, true);
          if (waiting != null) {
            return waiting;
          }
        }
        return writer.sendClose() ? Step.COMPLETE : Step.WANT_WRITE;
      case FAST:
        // "call SSL_shutdown() once (such that it returns 0) and then close the underlying
        // connection without waiting for the peer's response."
        if (!writer.sendClose()) {
          return Step.WANT_WRITE;
        }
        return state().received() ? Step.COMPLETE : Step.SENT;
      case BIDIRECTIONAL:
        boolean sendingNow = !state().sent();
        if (!writer.sendClose()) {
          return Step.WANT_WRITE;
        }
        if (!state().received()) {
          // A close_notify written just now cannot have been answered yet, and whatever the peer
          // sent before is reported by the transport's readiness: skip the read that would find
          // nothing (one system call per shutdown); bytes already buffered are still processed.
          Step waiting = awaitPeer(request, !sendingNow);
          if (waiting != null) {
            return waiting;
          }
        }
        return Step.COMPLETE;
      default:
        throw ledger.error(
            Reason.INVALID_ARGUMENT,
            "mode "
                + request.mode().cliName()
                + " is QUIC's; TLS and DTLS shut down bidirectional, fast, quiet or wait-peer");
    }
  }

  /**
   * @param mayRead whether to read the transport, or only process what is buffered
   * @return null once the peer's close is processed, else the step to wait for
   */
  private Step awaitPeer(ShutdownRequest request, boolean mayRead) throws ShutdownException {
    Pumped p = reader.pump(request.inbound(), request.ignoreUnexpectedEof(), mayRead);
    if (p == Pumped.CLOSED) {
      return null;
    }
    if (p == Pumped.YIELD) {
      yielded = true;
    }
    return Step.WANT_READ;
  }

  @Override
  public void awaitReadiness(Step want, Runnable onReady) {
    awaitTransport(want == Step.WANT_WRITE, onReady);
  }

  /**
   * Waits for the transport, or steps again at once when input is already buffered in the engine
   * (the socket may never signal it).
   *
   * @param forWrite the direction
   * @param onReady what to run
   */
  public void awaitTransport(boolean forWrite, Runnable onReady) {
    if (yielded) {
      // Input is buffered inside the engine: the socket may never signal it. Step again after the
      // loop has run its other work.
      yielded = false;
      transport.executor().execute(onReady);
      return;
    }
    transport.awaitReadiness(forWrite, onReady);
  }

  @Override
  public void cancelReadiness(Runnable onReady) {
    transport.cancelReadiness(onReady);
  }

  @Override
  public void closeTransport() {
    transport.close();
    closeWatch.closed();
  }

  /**
   * SSL_free: closes the transport for good. Every later operation (a shutdown included) is refused
   * with {@code ILLEGAL_STATE} and leaves the state as it is.
   */
  public void release() {
    ledger.markReleased();
    closeTransport();
  }

  /**
   * @return completes once {@link #closeTransport()} ran
   */
  public Mono<Void> closed() {
    return closeWatch.mono();
  }

  /**
   * Runs {@code onClose} once {@link #closeTransport()} ran (at once, on this thread, if it already
   * has): a server's bookkeeping, without a subscription per connection.
   *
   * @param onClose what to run
   */
  public void whenClosed(Runnable onClose) {
    closeWatch.whenClosed(onClose);
  }

  @Override
  public long connectionBytesRead() {
    return ledger.bytesRead();
  }

  @Override
  public ShutdownResult.Builder describe() {
    String protocol = handshake.protocol();
    return ledger.describe(protocol != null ? protocol : records.ssl().getSession().getProtocol());
  }
}
