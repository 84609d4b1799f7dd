package dev.graceful.tls.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.Executor;

/**
 * The byte pipe under a {@link TlsEngine}, as the engine sees it: the API's {@code
 * dev.graceful.tls.TlsTransport}, which a connection adapts to this interface, method for method
 * and with the same contract (documented there). A type of its own so that this package never
 * depends on the API package built on it.
 */
public interface TlsTransport {
  /**
   * @return the executor owning this transport and the connection on it
   */
  Executor executor();

  /** Reads what is available without waiting: bytes read, 0 if none, -1 at end of stream. */
  int read(ByteBuffer dst) throws IOException;

  /** Writes what fits without waiting: bytes written, possibly 0. */
  int write(ByteBuffer src) throws IOException;

  /** Runs {@code onReady} once on the executor when reading or writing may progress. */
  void awaitReadiness(boolean forWrite, Runnable onReady);

  /** Withdraws one pending readiness request. */
  void cancelReadiness(Runnable onReady);

  /** Closes the transport; idempotent. */
  void close();

  /**
   * @return false once closed
   */
  boolean isOpen();

  /**
   * @return a short identity such as {@code 127.0.0.1:50432->127.0.0.1:4433}
   */
  String describe();
}
