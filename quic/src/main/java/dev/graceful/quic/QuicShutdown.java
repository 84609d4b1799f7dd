package dev.graceful.quic;

import dev.graceful.core.ShutdownException;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.core.ShutdownState;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * QUIC's own shutdown options, given to a spec with {@link ShutdownSpec#with}: the application
 * error code and reason the CONNECTION_CLOSE carries (SSL_shutdown_ex's {@code quic_error_code} and
 * {@code quic_reason}) and the no-block flag (SSL_SHUTDOWN_FLAG_NO_BLOCK). TLS, DTLS and TCP
 * connections ignore them. Immutable: each setter returns a new value.
 *
 * <pre>{@code
 * connection.shutdown(ShutdownSpec.bidirectional().with(QuicShutdown.defaults().closeWith(0x100, "bye")))
 * }</pre>
 */
public final class QuicShutdown implements ShutdownSpec.ProtocolOption {
  private static final QuicShutdown DEFAULTS =
      new QuicShutdown(QuicCloseArguments.DEFAULT, null, false);

  private final QuicCloseArguments close;
  private final @Nullable String
      refused; // why closeWith refused its code; reported when the shutdown runs
  private final boolean noBlock;

  private QuicShutdown(QuicCloseArguments close, @Nullable String refused, boolean noBlock) {
    this.close = close;
    this.refused = refused;
    this.noBlock = noBlock;
  }

  /**
   * @return code 0 and an empty reason (Q1), waiting as long as the shutdown needs
   */
  public static QuicShutdown defaults() {
    return DEFAULTS;
  }

  /**
   * The application error code and reason the close carries. Checked as SSL_shutdown_ex checks
   * them, when the shutdown runs: a code outside [0, 2^62 − 1] ends it with {@code
   * INVALID_ARGUMENT} and nothing sent (Q2); a reason is copied and cut to fit one packet at a
   * code-point boundary (Q3). Only the first shutdown's arguments count (Q4).
   *
   * @param errorCode the code
   * @param reason the reason, or null for none
   * @return these options with those arguments
   */
  public QuicShutdown closeWith(long errorCode, @Nullable String reason) {
    try {
      return new QuicShutdown(QuicCloseArguments.of(errorCode, reason), null, noBlock);
    } catch (IllegalArgumentException outOfRange) {
      return new QuicShutdown(QuicCloseArguments.DEFAULT, outOfRange.getMessage(), noBlock);
    }
  }

  /**
   * @param arguments the code and reason the close carries; only the first shutdown's count (Q4)
   * @return these options with those arguments
   */
  public QuicShutdown closeWith(QuicCloseArguments arguments) {
    return new QuicShutdown(Objects.requireNonNull(arguments, "arguments"), null, noBlock);
  }

  /**
   * One step, no waiting (SSL_SHUTDOWN_FLAG_NO_BLOCK, Q9): the Mono ends with the outcome reached
   * by that step, or empty when it would have to wait (SSL_shutdown's WANT_READ / WANT_WRITE).
   * Subscribing again steps again.
   *
   * @return these options in their non-blocking form
   */
  public QuicShutdown noBlock() {
    return new QuicShutdown(close, refused, true);
  }

  /**
   * @return the code and reason the close carries; the defaults when {@link #closeWith(long,
   *     String)} refused its code, and the shutdown then fails with {@code INVALID_ARGUMENT}
   */
  public QuicCloseArguments close() {
    return close;
  }

  /**
   * @return whether the shutdown answers after one step instead of waiting
   */
  public boolean isNoBlock() {
    return noBlock;
  }

  /**
   * The arguments a QUIC stack sends, checked when the shutdown runs: every graceful QUIC backend
   * (Kwik here, Netty's codec in {@code graceful-netty-quic}) reads them through this.
   *
   * @param connectionId for the error
   * @return the arguments to send
   * @throws ShutdownException {@code INVALID_ARGUMENT} when {@link #closeWith(long, String)}
   *     refused its code (Q2)
   */
  public QuicCloseArguments checkedClose(String connectionId) throws ShutdownException {
    Objects.requireNonNull(connectionId, "connectionId");
    if (refused != null) {
      throw new ShutdownException(
          ShutdownException.Reason.INVALID_ARGUMENT,
          connectionId,
          ShutdownState.NONE,
          refused + "; nothing was sent",
          null);
    }
    return close;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof QuicShutdown q
        && close.equals(q.close)
        && Objects.equals(refused, q.refused)
        && noBlock == q.noBlock;
  }

  @Override
  public int hashCode() {
    return Objects.hash(close, refused, noBlock);
  }

  @Override
  public String toString() {
    return "QuicShutdown["
        + (refused != null ? "refused: " + refused : close)
        + (noBlock ? ", noBlock" : "")
        + "]";
  }
}
