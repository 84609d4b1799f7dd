package dev.graceful.quic;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import tech.kwik.core.ConnectionListener;
import tech.kwik.core.ConnectionTerminatedEvent;
import tech.kwik.core.QuicConnection;
import tech.kwik.core.QuicConstants;
import tech.kwik.core.QuicStream;
import tech.kwik.core.Statistics;
import tech.kwik.core.send.SendStatistics;

/**
 * A stand-in for a Kwik connection in unit tests of graceful's engine logic: it records the closes
 * graceful asks for and lets the test deliver Kwik's termination events. The protocol itself is
 * tested against real Kwik and ngtcp2 peers in the integration tests.
 */
@SuppressWarnings("deprecation") // Kwik's interface still declares its deprecated setters
class ScriptedKwik implements QuicConnection {
  record Close(long code, String reason) {}

  final List<Close> closes = new ArrayList<>();
  private ConnectionListener listener;

  /** RFC 9002 estimate with these: PTO = 100 + max(4 × 10, 1) + 25 = 165 ms. */
  static final int SMOOTHED_RTT = 100;

  static final int RTT_VAR = 10;
  static final long PTO_MS = SMOOTHED_RTT + 4 * RTT_VAR + 25;

  /**
   * The peer's CONNECTION_CLOSE with an application code, as Kwik reports it: a code of 0 is no
   * error to Kwik, so it leaves the code out.
   */
  void peerCloses(long code, String reason) {
    listener.disconnected(
        new ConnectionTerminatedEvent(
            this,
            ConnectionTerminatedEvent.CloseReason.ImmediateClose,
            true,
            null,
            code == 0 ? null : code,
            reason));
  }

  /** The peer's CONNECTION_CLOSE of type 0x1c (a transport error), as Kwik reports it. */
  void peerClosesWithTransportError(long code, String reason) {
    listener.disconnected(
        new ConnectionTerminatedEvent(
            this, ConnectionTerminatedEvent.CloseReason.ImmediateClose, true, code, null, reason));
  }

  /**
   * Kwik's own immediate close on a transport error it detected (a peer's protocol violation, say):
   * reported as a local close with the transport code and reason Kwik sent.
   */
  void kwikClosesOnTransportError(long code, String reason) {
    listener.disconnected(
        new ConnectionTerminatedEvent(
            this, ConnectionTerminatedEvent.CloseReason.ImmediateClose, false, code, null, reason));
  }

  /** Termination without a close from anyone (idle timeout, stateless reset, lost). */
  void terminates(ConnectionTerminatedEvent.CloseReason why) {
    listener.disconnected(
        new ConnectionTerminatedEvent(
            this, why, why == ConnectionTerminatedEvent.CloseReason.StatelessReset));
  }

  @Override
  public synchronized void close(long applicationErrorCode, String reason) {
    closes.add(new Close(applicationErrorCode, reason));
    // Kwik reports its own immediate close to the listener at once, with the code and reason sent
    listener.disconnected(
        new ConnectionTerminatedEvent(
            this,
            ConnectionTerminatedEvent.CloseReason.ImmediateClose,
            false,
            null,
            applicationErrorCode,
            reason));
  }

  @Override
  public void setConnectionListener(ConnectionListener l) {
    listener = l;
  }

  @Override
  public Statistics getStats() {
    return new Statistics(new SendStatistics(0, 0, 0, 0, 0, SMOOTHED_RTT, RTT_VAR, SMOOTHED_RTT));
  }

  // Not used by the engine.

  @Override
  public QuicVersion getQuicVersion() {
    return QuicVersion.V1;
  }

  @Override
  public void setMaxAllowedBidirectionalStreams(int max) {}

  @Override
  public void setMaxAllowedUnidirectionalStreams(int max) {}

  @Override
  public void setDefaultStreamReceiveBufferSize(long size) {}

  @Override
  public void setDefaultUnidirectionalStreamReceiveBufferSize(long size) {}

  @Override
  public void setDefaultBidirectionalStreamReceiveBufferSize(long size) {}

  /** What {@link #createStream} does; by default, refuses. */
  interface StreamFactory {
    QuicStream create(boolean bidirectional) throws java.io.IOException;
  }

  volatile StreamFactory streams =
      b -> {
        throw new UnsupportedOperationException();
      };

  @Override
  public QuicStream createStream(boolean bidirectional) throws java.io.IOException {
    return streams.create(bidirectional);
  }

  @Override
  public void setPeerInitiatedStreamCallback(Consumer<QuicStream> callback) {}

  @Override
  public void close() {
    close(0, "");
  }

  @Override
  public void closeAndWait() {
    throw new AssertionError("graceful never calls closeAndWait (it busy-waits)");
  }

  @Override
  public void closeAndWait(Duration max) {
    throw new AssertionError("graceful never calls closeAndWait (it busy-waits)");
  }

  @Override
  public void close(QuicConstants.TransportErrorCode code, String reason) {
    throw new AssertionError("graceful closes with application codes");
  }

  @Override
  public boolean canSendDatagram() {
    return false;
  }

  @Override
  public boolean canReceiveDatagram() {
    return false;
  }

  @Override
  public boolean isDatagramExtensionEnabled() {
    return false;
  }

  @Override
  public void setDatagramHandler(Consumer<byte[]> handler) {}

  @Override
  public void setDatagramHandler(
      Consumer<byte[]> handler, java.util.concurrent.ExecutorService executor) {}

  @Override
  public int maxDatagramDataSize() {
    return 0;
  }

  @Override
  public void sendDatagram(byte[] data) {}
}
