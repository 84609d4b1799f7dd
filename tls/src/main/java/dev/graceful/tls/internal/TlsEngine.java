package dev.graceful.tls.internal;

import dev.graceful.core.Inbound;
import dev.graceful.core.Initiator;
import dev.graceful.core.ShutdownException;
import dev.graceful.core.ShutdownException.Reason;
import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownState;
import dev.graceful.core.spi.ShutdownEngine;
import dev.graceful.core.spi.ShutdownRequest;
import dev.graceful.core.spi.Step;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.Executor;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;

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
 */
public final class TlsEngine implements ShutdownEngine {
  /** Records unwrapped per step before yielding the loop to other connections and timers. */
  static final int RECORDS_PER_STEP = 16;

  private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

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

  /** How reading stopped. */
  private enum Pumped {
    CLOSED,
    NEED_INPUT,
    YIELD
  }

  private final reactor.core.publisher.Sinks.Empty<Void> closed = reactor.core.publisher.Sinks.empty();
  private final SSLEngine ssl;
  private final TlsTransport transport;
  private final Executor delegatedTasks;
  private final boolean datagram;
  // During an operation: the buffers it works with (see hold() and trim()). Between operations a
  // field either holds bytes and is the connection's own (ownsNetIn, ...), or is a leftover
  // reference to a thread's scratch, kept so that the next operation on that thread stores
  // nothing, or is null. A connection that is idle or waits for its peer owns none.
  private ByteBuffer netIn; // write mode: [0, position) not yet unwrapped
  private ByteBuffer netOut; // write mode: [0, position) not yet written
  private ByteBuffer appIn; // write mode: [0, position) decrypted, not yet delivered
  private boolean ownsNetIn;
  private boolean ownsNetOut;
  private boolean ownsAppIn;
  private final int packetSize;
  private final int applicationSize;
  // The state's bits, not the enum: a reference stored into a long-lived connection costs the
  // garbage collector a card mark (see BufferPool); an int costs nothing.
  private volatile int stateBits;
  private boolean fatal;
  private boolean peerFirst;
  private boolean quiet;
  private boolean unauthenticatedEof;
  private boolean closeWrapped;
  private boolean yielded;
  private int pendingWrites;
  private boolean handshakeBegun;
  private HelloObserver hellos;
  private final ReplayWindow replays;
  private long replayedRecords;
  private boolean resumed;
  private volatile long bytesRead;
  private String protocol; // negotiated, once the handshake has finished

  /**
   * @param ssl a configured engine (client or server mode set)
   * @param transport the byte pipe
   * @param delegatedTasks where slow handshake tasks run; never the loop
   * @param datagram true for DTLS: records travel in datagrams that can be lost
   */
  public TlsEngine(SSLEngine ssl, TlsTransport transport, Executor delegatedTasks, boolean datagram) {
    this.datagram = datagram;
    this.hellos = new HelloObserver(datagram);
    this.replays = datagram ? new ReplayWindow() : null;
    this.ssl = ssl;
    this.transport = transport;
    this.delegatedTasks = delegatedTasks;
    this.packetSize = ssl.getSession().getPacketBufferSize();
    this.applicationSize = ssl.getSession().getApplicationBufferSize();
  }

  /**
   * Provides the record buffers an operation works with: those the connection owns (they hold
   * bytes), else the thread's scratch, else (an operation nested in another on this thread)
   * spares. A field already pointing at the buffer to use is not written.
   *
   * @return the pool whose scratch this operation borrowed, or null; hand it to {@link #trim}
   */
  private BufferPool hold() {
    BufferPool pool = BufferPool.local();
    BufferPool lent = pool.lend() ? pool : null;
    if (!ownsNetIn) {
      ByteBuffer b = borrow(pool, lent, BufferPool.NET_IN, packetSize);
      if (netIn != b) {
        netIn = b;
      }
    }
    if (!ownsNetOut) {
      ByteBuffer b = borrow(pool, lent, BufferPool.NET_OUT, packetSize);
      if (netOut != b) {
        netOut = b;
      }
    }
    if (!ownsAppIn) {
      ByteBuffer b = borrow(pool, lent, BufferPool.APP_IN, applicationSize);
      if (appIn != b) {
        appIn = b;
      }
    }
    return lent;
  }

  /** @return the scratch buffer of {@code slot} if lent and large enough, else a spare */
  private static ByteBuffer borrow(BufferPool pool, BufferPool lent, int slot, int size) {
    return lent != null && size <= BufferPool.SLAB ? lent.scratch(slot) : pool.take(size);
  }

  /**
   * Ends an operation: a buffer that holds bytes stays with the connection (a borrowed scratch
   * buffer is replaced in the thread's scratch by a spare), an empty one of its own or a spare
   * goes back to the pool, and the scratch is given back.
   *
   * @param lent what {@link #hold()} returned
   */
  private void trim(BufferPool lent) {
    BufferPool pool = lent != null ? lent : BufferPool.local();
    ByteBuffer in = release(netIn, pool, lent, BufferPool.NET_IN);
    if (in != netIn) {
      netIn = in;
    }
    ownsNetIn = in != null && in.position() > 0;
    ByteBuffer out = release(netOut, pool, lent, BufferPool.NET_OUT);
    if (out != netOut) {
      netOut = out;
    }
    ownsNetOut = out != null && out.position() > 0;
    ByteBuffer app = release(appIn, pool, lent, BufferPool.APP_IN);
    if (app != appIn) {
      appIn = app;
    }
    ownsAppIn = app != null && app.position() > 0;
    if (lent != null) {
      lent.endLoan();
    }
  }

  /**
   * @return what the connection's field keeps after an operation: {@code b} if it holds bytes
   *     (taken out of the scratch if it was lent from there) or is the lent scratch buffer (a
   *     reference only, so that the next operation need not store one), else null ({@code b} given
   *     back)
   */
  private static ByteBuffer release(ByteBuffer b, BufferPool pool, BufferPool lent, int slot) {
    boolean fromScratch = lent != null && b == lent.scratch(slot);
    if (b.position() > 0) {
      if (fromScratch) {
        lent.keep(slot);
      }
      return b;
    }
    if (fromScratch) {
      return b;
    }
    pool.give(b);
    return null;
  }

  /** @return the JDK engine */
  public SSLEngine ssl() {
    return ssl;
  }

  /** @return where the JDK engine's delegated tasks run */
  public Executor delegatedTasks() {
    return delegatedTasks;
  }

  /** @return the transport */
  public TlsTransport transport() {
    return transport;
  }

  @Override
  public String protocolFamily() {
    return datagram ? "DTLS" : "TLS";
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
    return ShutdownState.ofBits(stateBits);
  }

  /** @return true after a fatal error (SSL_ERROR_SYSCALL / SSL_ERROR_SSL) */
  public boolean isFatal() {
    return fatal;
  }

  /**
   * @return bytes of buffer capacity this connection holds between operations (network in and out,
   *     plaintext in): zero unless a record is partly received, not yet written, or not yet
   *     delivered
   */
  public int bufferCapacity() {
    return (ownsNetIn ? netIn.capacity() : 0)
        + (ownsNetOut ? netOut.capacity() : 0)
        + (ownsAppIn ? appIn.capacity() : 0);
  }

  /** @return true if the handshake resumed a session (read from the hello messages) */
  public boolean resumed() {
    return resumed;
  }

  /** @return application bytes read over the connection */
  public long bytesRead() {
    return bytesRead;
  }

  /**
   * SSL_set_shutdown: adds bits without sending anything. Clearing bits is refused: the state must
   * stay truthful, and a close_notify already sent or received cannot be taken back.
   *
   * @param next the new state, a superset of the current one
   */
  public void setState(ShutdownState next) {
    ShutdownState now = state();
    if (now.with(next) != next) {
      throw new IllegalArgumentException(
          "cannot clear shutdown bits: " + now + " -> " + next + " (a sent or received close stays so)");
    }
    if (!now.sent() && next.sent()) {
      closeWrapped = true; // SSL_set_shutdown(SENT): SSL_shutdown() will not send close_notify
    }
    if (!now.received() && next.received() && !now.sent()) {
      peerFirst = true;
    }
    stateBits = next.bits();
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
    BufferPool lent = hold();
    try {
      return doHandshake();
    } catch (ShutdownException e) {
      throw handshakeFailure(e);
    } finally {
      trim(lent);
    }
  }

  /**
   * A failed handshake is reported as what it is: the JDK's {@link SSLHandshakeException} as
   * thrown, another {@link SSLException} of the engine wrapped in one (message and cause kept), an
   * ending by the peer as one of our own. Transport errors and refusals stay {@link
   * ShutdownException}s. The fatal alert the JDK engine prepared (after a failed certificate
   * check: {@code bad_certificate}, {@code certificate_unknown}) is sent first, best effort, so
   * that the peer learns why.
   */
  private IOException handshakeFailure(ShutdownException e) {
    if (e.reason() == Reason.TRANSPORT || e.reason() == Reason.ILLEGAL_STATE) {
      return e;
    }
    sendAlertQuietly();
    Throwable cause = e.getCause();
    if (cause instanceof SSLHandshakeException h) {
      return h;
    }
    String message =
        cause instanceof SSLException ssl && ssl.getMessage() != null
            ? ssl.getMessage()
            : connectionId() + ": " + handshakeMessage(e);
    SSLHandshakeException h = new SSLHandshakeException(message);
    if (cause != null) {
      h.initCause(cause);
    }
    return h;
  }

  /** @return the failure's own words, without the reason and state a shutdown error carries */
  private static String handshakeMessage(ShutdownException e) {
    String m = String.valueOf(e.getMessage());
    int colon = m.indexOf("]: ");
    return colon >= 0 ? m.substring(colon + 3) : m;
  }

  private Progress doHandshake() throws ShutdownException {
    checkUsable();
    if (!handshakeBegun) {
      handshakeBegun = true;
      try {
        ssl.beginHandshake();
      } catch (SSLException e) {
        throw fail(Reason.PROTOCOL, "cannot begin the handshake: " + e.getMessage(), e);
      }
    }
    for (; ; ) {
      HandshakeStatus hs = ssl.getHandshakeStatus();
      switch (hs) {
        case NEED_TASK:
          return Progress.TASKS;
        case NEED_WRAP:
          SSLEngineResult w = wrap(EMPTY);
          if (w.getStatus() == SSLEngineResult.Status.BUFFER_OVERFLOW && !flush()) {
            return Progress.WANT_WRITE;
          }
          if (w.getStatus() == SSLEngineResult.Status.CLOSED) {
            flushQuietly();
            throw fail(Reason.PROTOCOL, "the handshake was closed", null);
          }
          break;
        case NEED_UNWRAP:
        case NEED_UNWRAP_AGAIN:
          if (!flush()) {
            return Progress.WANT_WRITE;
          }
          SSLEngineResult r = unwrapOnce();
          if (r == null || r.getStatus() == SSLEngineResult.Status.BUFFER_UNDERFLOW) {
            int n = readTransport();
            if (n < 0) {
              throw fail(Reason.TRUNCATED, "the transport closed during the handshake", null);
            }
            if (n == 0) {
              return Progress.WANT_READ;
            }
          } else if (r.getStatus() == SSLEngineResult.Status.CLOSED) {
            throw fail(Reason.PROTOCOL, "the peer closed during the handshake", null);
          }
          break;
        default: // FINISHED, NOT_HANDSHAKING
          if (hellos != null) {
            resumed = hellos.resumed();
            hellos = null; // only the first handshake is observed
            // kept: describing a shutdown then needs no call into the engine, which takes its lock
            protocol = ssl.getSession().getProtocol();
          }
          return flush() ? Progress.DONE : Progress.WANT_WRITE;
      }
    }
  }

  /** @return DTLS application records dropped as replays (RFC 6347 anti-replay) */
  public long replayedRecords() {
    return replayedRecords;
  }

  /** @return true for DTLS */
  public boolean isDatagram() {
    return datagram;
  }

  /** @return true while the first handshake is still waiting for the peer's flight */
  public boolean awaitsPeerFlight() {
    HandshakeStatus hs = ssl.getHandshakeStatus();
    return hellos != null
        && (hs == HandshakeStatus.NEED_UNWRAP || hs == HandshakeStatus.NEED_UNWRAP_AGAIN);
  }

  /**
   * DTLS retransmission (RFC 6347 §4.2.4): the timer expired while waiting for the peer's flight,
   * so our last flight is presumed lost. In the JDK engine, "a call to SSLEngine.wrap() [in
   * NEED_UNWRAP] means that the previous handshake packets (if delivered) get lost, and need
   * retransmit the handshake messages."
   *
   * @return the handshake's next need
   * @throws IOException on failure, as {@link #handshake()}
   */
  public Progress retransmit() throws IOException {
    BufferPool lent = hold();
    try {
      return doRetransmit();
    } catch (ShutdownException e) {
      throw handshakeFailure(e);
    } finally {
      trim(lent);
    }
  }

  private Progress doRetransmit() throws ShutdownException {
    if (datagram && awaitsPeerFlight()) {
      SSLEngineResult r;
      do {
        r = wrap(EMPTY);
        if (!flush()) {
          return Progress.WANT_WRITE;
        }
      } while (r.bytesProduced() > 0 && r.getHandshakeStatus() == HandshakeStatus.NEED_WRAP);
    }
    return doHandshake();
  }

  /** Runs the engine's delegated tasks; call off the loop (they may be slow). */
  public void runDelegatedTasks() {
    Runnable task;
    while ((task = ssl.getDelegatedTask()) != null) {
      task.run();
    }
  }

  // ------------------------------------------------------------------ application data

  /**
   * Encrypts and writes as much of {@code src} as the transport takes. T2: refused once SENT is
   * set ("Once SSL_shutdown() is called, SSL_write(3) can no longer be used").
   *
   * @param src plaintext; its position advances
   * @return DONE when all of it is written, WANT_WRITE otherwise
   * @throws ShutdownException ILLEGAL_STATE after shutdown or a fatal error; TRANSPORT, PROTOCOL
   */
  public Progress write(ByteBuffer src) throws ShutdownException {
    BufferPool lent = hold();
    try {
      return doWrite(src);
    } finally {
      trim(lent);
    }
  }

  private Progress doWrite(ByteBuffer src) throws ShutdownException {
    if (fatal) {
      throw error(Reason.ILLEGAL_STATE, "write after a fatal error");
    }
    if (state().sent()) {
      throw error(Reason.ILLEGAL_STATE, "write after shutdown: our close_notify was already sent");
    }
    for (; ; ) {
      if (!flush()) {
        return Progress.WANT_WRITE;
      }
      if (!src.hasRemaining()) {
        return Progress.DONE;
      }
      SSLEngineResult r = wrap(src);
      if (r.getStatus() == SSLEngineResult.Status.CLOSED) {
        throw error(
            Reason.ILLEGAL_STATE,
            "the engine refuses to write: the peer closed and the JDK's "
                + ssl.getSession().getProtocol()
                + " engine closed its outbound side too");
      }
    }
  }

  /** Counts a send that has started and not ended; a shutdown's close_notify waits for it. */
  public void writeStarted() {
    pendingWrites++;
  }

  /** Ends what {@link #writeStarted()} began. */
  public void writeEnded() {
    pendingWrites--;
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
    BufferPool lent = hold();
    try {
      return doRead(inbound, ignoreUnexpectedEof);
    } finally {
      trim(lent);
    }
  }

  private Progress doRead(Inbound inbound, boolean ignoreUnexpectedEof) throws ShutdownException {
    checkUsable();
    return pump(inbound, ignoreUnexpectedEof, true) == Pumped.CLOSED ? Progress.DONE : Progress.WANT_READ;
  }

  // ------------------------------------------------------------------ shutdown

  @Override
  public Step step(ShutdownRequest request) throws ShutdownException {
    BufferPool lent = hold();
    try {
      return doStep(request);
    } finally {
      trim(lent);
    }
  }

  private Step doStep(ShutdownRequest request) throws ShutdownException {
    checkUsable();
    switch (request.mode()) {
      case QUIET:
        // "When quiet shutdown is enabled, SSL_shutdown() will always succeed and return 1
        // immediately." Nothing is sent; both bits are set.
        if (!state().sent()) {
          quiet = true;
          closeWrapped = true;
        }
        if (!state().received() && !state().sent()) {
          peerFirst = false;
        }
        stateBits = ShutdownState.SENT_AND_RECEIVED.bits();
        return Step.COMPLETE;
      case WAIT_PEER:
        if (!state().received()) {
          Step waiting = awaitPeer(request, true);
          if (waiting != null) {
            return waiting;
          }
        }
        return sendClose() ? Step.COMPLETE : Step.WANT_WRITE;
      case FAST:
        // "call SSL_shutdown() once (such that it returns 0) and then close the underlying
        // connection without waiting for the peer's response."
        if (!sendClose()) {
          return Step.WANT_WRITE;
        }
        return state().received() ? Step.COMPLETE : Step.SENT;
      case BIDIRECTIONAL:
        boolean sendingNow = !state().sent();
        if (!sendClose()) {
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
        throw error(
            Reason.INVALID_ARGUMENT,
            "mode " + request.mode().cliName() + " is QUIC's; TLS and DTLS shut down bidirectional, fast, quiet or wait-peer");
    }
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
    closed.tryEmitEmpty();
  }

  /** @return completes once {@link #closeTransport()} ran */
  public reactor.core.publisher.Mono<Void> closed() {
    return closed.asMono();
  }

  @Override
  public long connectionBytesRead() {
    return bytesRead;
  }

  @Override
  public ShutdownResult.Builder describe() {
    ShutdownState s = state();
    return ShutdownResult.builder(connectionId())
        .protocol(protocol != null ? protocol : ssl.getSession().getProtocol())
        .state(s)
        .initiator(peerFirst ? Initiator.PEER : Initiator.LOCAL)
        .connectionBytesRead(bytesRead)
        .unauthenticatedEof(unauthenticatedEof)
        .quiet(quiet)
        .sessionResumable(s.sent() && !fatal)
        .truncationRisk(!s.received());
  }

  /**
   * Sends our close_notify once and flushes. T1: "the SSL_SENT_SHUTDOWN flag is set once an attempt
   * is made to send a close_notify alert, regardless of whether the attempt was successful."
   *
   * @return true when nothing is left to write
   */
  private boolean sendClose() throws ShutdownException {
    if (!state().sent() && pendingWrites > 0) {
      return false; // sends already accepted go out before our close_notify
    }
    if (!state().sent()) {
      stateBits |= ShutdownState.SENT.bits(); // the loop is the only writer
      ssl.closeOutbound();
    }
    while (!closeWrapped) {
      SSLEngineResult r = wrap(EMPTY);
      if (r.getStatus() == SSLEngineResult.Status.BUFFER_OVERFLOW) {
        if (!flush()) {
          return false;
        }
      } else if (ssl.isOutboundDone()) {
        closeWrapped = true;
      }
    }
    return flush();
  }

  /**
   * @param mayRead whether to read the transport, or only process what is buffered
   * @return null once the peer's close is processed, else the step to wait for
   */
  private Step awaitPeer(ShutdownRequest request, boolean mayRead) throws ShutdownException {
    Pumped p = pump(request.inbound(), request.ignoreUnexpectedEof(), mayRead);
    if (p == Pumped.CLOSED) {
      return null;
    }
    if (p == Pumped.YIELD) {
      yielded = true;
    }
    return Step.WANT_READ;
  }

  // ------------------------------------------------------------------ reading machinery

  /**
   * Unwraps records and hands out application data until the peer's close_notify, no more input,
   * or the per-step budget is spent. Post-handshake messages (TLS 1.3 tickets, key updates) are
   * processed on the way: "any final handshake-layer messages received are processed".
   */
  private Pumped pump(Inbound inbound, boolean ignoreUnexpectedEof, boolean mayRead)
      throws ShutdownException {
    int budget = RECORDS_PER_STEP;
    for (; ; ) {
      deliver(inbound);
      if (state().received()) {
        return Pumped.CLOSED;
      }
      if (budget-- == 0) {
        return Pumped.YIELD;
      }
      SSLEngineResult r = unwrapOnce();
      if (r != null && r.getStatus() != SSLEngineResult.Status.BUFFER_UNDERFLOW) {
        if (replays != null && r.bytesProduced() > 0 && !replays.accept(r.sequenceNumber())) {
          appIn.position(appIn.position() - r.bytesProduced()); // a replayed record: drop it
          replayedRecords++;
        }
        if (r.getStatus() == SSLEngineResult.Status.CLOSED) {
          received();
        } else {
          afterPostHandshake(r);
        }
        continue;
      }
      if (!mayRead) {
        return Pumped.NEED_INPUT;
      }
      int n = readTransport();
      if (n == 0) {
        return Pumped.NEED_INPUT;
      }
      if (n < 0) {
        if (netIn.position() > 0) {
          throw fail(Reason.TRUNCATED, "the transport closed in the middle of a TLS record", null);
        }
        if (!ignoreUnexpectedEof) {
          // "There are SSL/TLS implementations that never send the required close_notify alert
          // but simply close the underlying transport ... This will ordinarily result in an error"
          throw fail(Reason.TRUNCATED, "the transport closed without a close_notify", null);
        }
        unauthenticatedEof = true;
        received();
      }
    }
  }

  private void received() {
    if (!state().received()) {
      if (!state().sent()) {
        peerFirst = true;
      }
      stateBits |= ShutdownState.RECEIVED.bits(); // the loop is the only writer
    }
  }

  /** Hands decrypted bytes to the inbound policy; refuses with UNREAD_DATA, keeping them. */
  private void deliver(Inbound inbound) throws ShutdownException {
    if (appIn.position() == 0) {
      return;
    }
    if (inbound instanceof Inbound.Refuse) {
      throw error(
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
    bytesRead += n;
  }

  private void afterPostHandshake(SSLEngineResult r) throws ShutdownException {
    HandshakeStatus hs = r.getHandshakeStatus();
    if (hs == HandshakeStatus.NEED_TASK) {
      runDelegatedTasks();
      hs = ssl.getHandshakeStatus();
    }
    if (hs == HandshakeStatus.NEED_WRAP && !ssl.isInboundDone() && !state().sent()) {
      wrap(EMPTY); // e.g. a TLS 1.3 KeyUpdate answer
      flush();
    }
  }

  /** @return the result, or null if no bytes are buffered */
  private SSLEngineResult unwrapOnce() throws ShutdownException {
    if (netIn.position() == 0
        && (!datagram || ssl.getHandshakeStatus() != HandshakeStatus.NEED_UNWRAP_AGAIN)) {
      // NEED_UNWRAP_AGAIN (DTLS only): the engine has buffered messages to process. Asking a TLS
      // engine would take its lock for an answer that cannot be yes.
      return null;
    }
    netIn.flip();
    if (hellos != null && !hellos.done()) {
      hellos.observe(netIn);
    }
    try {
      SSLEngineResult r = ssl.unwrap(netIn, appIn);
      if (r.getStatus() == SSLEngineResult.Status.BUFFER_OVERFLOW) {
        appIn = grow(appIn, ssl.getSession().getApplicationBufferSize());
      }
      return r;
    } catch (SSLException e) {
      if (String.valueOf(e.getMessage()).startsWith("Received fatal alert")) {
        received(); // "A shutdown alert was received form the peer, either ... or a fatal error."
      }
      sendAlertQuietly();
      throw fail(Reason.PROTOCOL, "bad TLS input: " + e.getMessage(), e);
    } finally {
      netIn.compact();
    }
  }

  private int readTransport() throws ShutdownException {
    if (!netIn.hasRemaining()) {
      netIn = grow(netIn, netIn.capacity());
    }
    try {
      return transport.read(netIn);
    } catch (IOException e) {
      throw fail(Reason.TRANSPORT, "read failed: " + e.getMessage(), e);
    }
  }

  // ------------------------------------------------------------------ writing machinery

  private SSLEngineResult wrap(ByteBuffer src) throws ShutdownException {
    try {
      int before = netOut.position();
      SSLEngineResult r = ssl.wrap(src, netOut);
      if (hellos != null && !hellos.done() && netOut.position() > before) {
        hellos.observe(netOut.duplicate().flip().position(before));
      }
      if (r.getStatus() == SSLEngineResult.Status.BUFFER_OVERFLOW && netOut.position() == 0) {
        netOut = grow(netOut, ssl.getSession().getPacketBufferSize());
      }
      return r;
    } catch (SSLException e) {
      throw fail(Reason.PROTOCOL, "cannot encrypt: " + e.getMessage(), e);
    }
  }

  /** @return true when everything wrapped has been handed to the transport */
  private boolean flush() throws ShutdownException {
    if (netOut.position() == 0) {
      return true;
    }
    netOut.flip();
    try {
      transport.write(netOut);
    } catch (IOException e) {
      throw fail(Reason.TRANSPORT, "write failed: " + e.getMessage(), e);
    } finally {
      netOut.compact();
    }
    return netOut.position() == 0;
  }

  private void flushQuietly() {
    try {
      flush();
    } catch (ShutdownException ignored) {
      // best effort: the connection is failing anyway
    }
  }

  /** Best effort: send the fatal alert the JDK engine prepared after bad input. */
  private void sendAlertQuietly() {
    try {
      if (ssl.getHandshakeStatus() == HandshakeStatus.NEED_WRAP) {
        ssl.wrap(EMPTY, netOut);
      }
      netOut.flip();
      transport.write(netOut);
      netOut.compact();
    } catch (IOException | RuntimeException ignored) {
      // best effort
    }
  }

  // ------------------------------------------------------------------ errors

  private void checkUsable() throws ShutdownException {
    if (fatal) {
      // "SSL_shutdown() should not be called if a previous fatal error has occurred" (T11)
      throw error(Reason.ILLEGAL_STATE, "a fatal error already ended this connection");
    }
  }

  private ShutdownException fail(Reason reason, String message, Throwable cause) {
    fatal = true;
    return new ShutdownException(reason, connectionId(), state(), message, cause);
  }

  private ShutdownException error(Reason reason, String message) {
    return new ShutdownException(reason, connectionId(), state(), message, null);
  }

  private static ByteBuffer grow(ByteBuffer b, int atLeast) {
    ByteBuffer bigger = ByteBuffer.allocate(Math.max(b.capacity() * 2, b.position() + atLeast));
    b.flip();
    bigger.put(b);
    return bigger;
  }
}
