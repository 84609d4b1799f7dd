package dev.graceful.core.spi;

import dev.graceful.core.CloseInfo;
import dev.graceful.core.ShutdownException;
import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownState;
import java.util.concurrent.Executor;
import org.jspecify.annotations.Nullable;

/**
 * One connection's non-blocking shutdown state machine, implemented by a protocol module. Every
 * method but {@link #state()}, {@link #connectionId()}, {@link #protocolFamily()} and {@link
 * #executor()} is called only on the engine's executor (the loop thread that owns the connection).
 */
public interface ShutdownEngine {

  /**
   * @return the connection's identity
   */
  String connectionId();

  /**
   * The protocol family, as the shutdown Mono's {@code protocol} tag shows it to Reactor's {@code
   * Scannable} and metrics ({@code "TLS"}, {@code "DTLS"}, {@code "QUIC"}, {@code "TCP"}). Readable
   * from any thread, fixed for the connection's life.
   *
   * @return the family; {@code "unknown"} unless the engine says
   */
  default String protocolFamily() {
    return "unknown";
  }

  /**
   * @return the executor that owns the engine; all stepping happens there
   */
  Executor executor();

  /**
   * @return the current state, readable from any thread
   */
  ShutdownState state();

  /**
   * Advances the shutdown as far as it can without waiting, like one call of SSL_shutdown().
   *
   * @param request what is asked
   * @return {@link Step#COMPLETE} or {@link Step#SENT} when the request is satisfied, or what to
   *     wait for before stepping again
   * @throws ShutdownException when the shutdown cannot succeed
   */
  Step step(ShutdownRequest request) throws ShutdownException;

  /**
   * Whether {@code request} asks for one step only (SSL_SHUTDOWN_FLAG_NO_BLOCK, a flag of QUIC's
   * SSL_shutdown_ex): when {@link #step} answers a wait, the shutdown then ends at once, empty
   * ("not yet"), instead of waiting. A protocol without such a flag keeps the default. Executor
   * only.
   *
   * @param request what is asked
   * @return true to answer "not yet" rather than wait
   */
  default boolean noBlock(ShutdownRequest request) {
    return false;
  }

  /**
   * Arranges for {@code onReady} to run once, on the executor, when the transport may allow
   * progress for {@code want}. Other operations on the connection may wait at the same time.
   *
   * @param want {@link Step#WANT_READ} or {@link Step#WANT_WRITE}
   * @param onReady what to run
   */
  void awaitReadiness(Step want, Runnable onReady);

  /**
   * Withdraws a pending {@link #awaitReadiness}; nothing remains registered for it.
   *
   * @param onReady the callback given to {@link #awaitReadiness}
   */
  void cancelReadiness(Runnable onReady);

  /** Closes the underlying transport (socket, channel); idempotent. */
  void closeTransport();

  /**
   * @return a builder filled with what the engine knows: protocol, state, initiator, flags, bytes
   *     read over the connection; the caller adds outcome, mode and timing
   */
  ShutdownResult.Builder describe();

  /**
   * Application bytes read on the connection so far, as {@link #describe()} reports them, without
   * building a description (a shutdown reads it when it starts). Executor only.
   *
   * @return the connection's count of application bytes read
   */
  default long connectionBytesRead() {
    return describe().build().connectionBytesRead();
  }

  /**
   * How the connection was closed, by either side, if it was: what an error carries (QUIC). Null
   * for protocols without one (TLS, DTLS). Executor only.
   *
   * @return the close, or null
   */
  default @Nullable CloseInfo closeInfo() {
    return null;
  }
}
