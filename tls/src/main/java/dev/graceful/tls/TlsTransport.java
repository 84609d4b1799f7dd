package dev.graceful.tls;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.Executor;

/**
 * The byte pipe under a TLS engine, OpenSSL's network BIO: a non-blocking socket channel or a
 * memory pair the caller feeds by hand. All methods but {@link #executor()} run on the executor.
 */
public interface TlsTransport {

  /**
   * @return the executor owning this transport and the connection on it
   */
  Executor executor();

  /**
   * Reads what is available without waiting.
   *
   * @param dst where to put bytes
   * @return bytes read, 0 if none are available now, -1 at end of stream
   * @throws IOException on a transport error
   */
  int read(ByteBuffer dst) throws IOException;

  /**
   * Writes what fits without waiting.
   *
   * @param src bytes to write
   * @return bytes written, possibly 0
   * @throws IOException on a transport error
   */
  int write(ByteBuffer src) throws IOException;

  /**
   * Runs {@code onReady} once on the executor when reading ({@code forWrite} false) or writing may
   * make progress, soon if it already may (input already there, room to write): readiness is
   * level-triggered, as engines rely on it. Several operations may wait at once; each is woken
   * once.
   *
   * @param forWrite wait for writability instead of readability
   * @param onReady what to run
   */
  void awaitReadiness(boolean forWrite, Runnable onReady);

  /**
   * Withdraws one pending readiness request; when none is left, nothing stays registered.
   *
   * @param onReady the callback given to {@link #awaitReadiness}
   */
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
