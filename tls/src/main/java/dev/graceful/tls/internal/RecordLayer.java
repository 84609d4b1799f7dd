package dev.graceful.tls.internal;

import dev.graceful.core.ShutdownException;
import dev.graceful.core.ShutdownException.Reason;
import java.io.IOException;
import java.nio.ByteBuffer;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;

/**
 * Moves TLS records between the JDK {@link SSLEngine} and the {@link TlsTransport}, through the
 * connection's {@link RecordBuffers}: wrap and flush, read and unwrap, and the fatal alert the
 * engine prepares after bad input. Failures mark the connection fatal in its {@link
 * ShutdownLedger}. The first handshake's hello messages are shown to a {@link HelloObserver} on the
 * way. Confined to the engine's loop.
 */
final class RecordLayer {
  /** Nothing to encrypt: wraps a handshake message, an alert or close_notify. */
  static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

  private final SSLEngine ssl;
  private final TlsTransport transport;
  private final boolean datagram;
  private final RecordBuffers buffers;
  private final ShutdownLedger ledger;
  private HelloObserver hellos; // null once the first handshake finished

  /**
   * @param ssl a configured engine
   * @param transport the byte pipe
   * @param datagram true for DTLS
   * @param buffers the connection's buffers
   * @param ledger where failures are marked
   */
  RecordLayer(
      SSLEngine ssl,
      TlsTransport transport,
      boolean datagram,
      RecordBuffers buffers,
      ShutdownLedger ledger) {
    this.ssl = ssl;
    this.transport = transport;
    this.datagram = datagram;
    this.buffers = buffers;
    this.ledger = ledger;
    this.hellos = new HelloObserver(datagram);
  }

  /**
   * @return the JDK engine
   */
  SSLEngine ssl() {
    return ssl;
  }

  /**
   * @return true for DTLS: records travel in datagrams that can be lost
   */
  boolean datagram() {
    return datagram;
  }

  /**
   * @return true until {@link #endHelloObservation()}: the first handshake has not finished
   */
  boolean observesHellos() {
    return hellos != null;
  }

  /**
   * Stops showing bytes to the hello observer: only the first handshake is observed.
   *
   * @return true if the hellos seen show a resumed session
   */
  boolean endHelloObservation() {
    boolean resumed = hellos.resumed();
    hellos = null;
    return resumed;
  }

  // ------------------------------------------------------------------ reading

  /**
   * @return the result, or null if no bytes are buffered
   */
  SSLEngineResult unwrapOnce() throws ShutdownException {
    ByteBuffer netIn = buffers.netIn();
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
      SSLEngineResult r = ssl.unwrap(netIn, buffers.appIn());
      if (r.getStatus() == SSLEngineResult.Status.BUFFER_OVERFLOW) {
        buffers.growAppIn(ssl.getSession().getApplicationBufferSize());
      }
      return r;
    } catch (SSLException e) {
      if (String.valueOf(e.getMessage()).startsWith("Received fatal alert")) {
        // "A shutdown alert was received form the peer, either ... or a fatal error."
        ledger.markReceived();
      }
      sendAlertQuietly();
      throw ledger.fail(Reason.PROTOCOL, "bad TLS input: " + ledger.explain(e), e);
    } finally {
      netIn.compact();
    }
  }

  /**
   * @return bytes read into network input, 0 if none are available, -1 at end of stream
   */
  int readTransport() throws ShutdownException {
    ByteBuffer netIn = buffers.netIn();
    if (!netIn.hasRemaining()) {
      netIn = buffers.growNetIn(netIn.capacity());
    }
    try {
      return transport.read(netIn);
    } catch (IOException e) {
      throw ledger.fail(Reason.TRANSPORT, "read failed: " + ledger.explain(e), e);
    }
  }

  // ------------------------------------------------------------------ writing

  /**
   * @return the engine's result; network output is grown if even an empty one is too small
   */
  SSLEngineResult wrap(ByteBuffer src) throws ShutdownException {
    try {
      ByteBuffer netOut = buffers.netOut();
      int before = netOut.position();
      SSLEngineResult r = ssl.wrap(src, netOut);
      if (hellos != null && !hellos.done() && netOut.position() > before) {
        hellos.observe(netOut.duplicate().flip().position(before));
      }
      if (r.getStatus() == SSLEngineResult.Status.BUFFER_OVERFLOW && netOut.position() == 0) {
        buffers.growNetOut(ssl.getSession().getPacketBufferSize());
      }
      return r;
    } catch (SSLException e) {
      throw ledger.fail(Reason.PROTOCOL, "cannot encrypt: " + ledger.explain(e), e);
    }
  }

  /**
   * @return true when everything wrapped has been handed to the transport
   */
  boolean flush() throws ShutdownException {
    ByteBuffer netOut = buffers.netOut();
    if (netOut.position() == 0) {
      return true;
    }
    netOut.flip();
    try {
      transport.write(netOut);
    } catch (IOException e) {
      throw ledger.fail(Reason.TRANSPORT, "write failed: " + ledger.explain(e), e);
    } finally {
      netOut.compact();
    }
    return netOut.position() == 0;
  }

  /** {@link #flush()}, best effort: the connection is failing anyway. */
  void flushQuietly() {
    try {
      flush();
    } catch (ShutdownException ignored) {
      // best effort: the connection is failing anyway
    }
  }

  /** Best effort: send the fatal alert the JDK engine prepared after bad input. */
  void sendAlertQuietly() {
    try {
      ByteBuffer netOut = buffers.netOut();
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

  /** Runs the engine's delegated tasks on the calling thread. */
  void runDelegatedTasks() {
    Runnable task;
    while ((task = ssl.getDelegatedTask()) != null) {
      task.run();
    }
  }
}
