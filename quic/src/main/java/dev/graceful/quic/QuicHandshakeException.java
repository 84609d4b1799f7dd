package dev.graceful.quic;

import dev.graceful.core.CloseInfo;
import java.util.Objects;
import javax.net.ssl.SSLHandshakeException;
import org.jspecify.annotations.Nullable;

/**
 * A QUIC handshake that ended in a CONNECTION_CLOSE, with how it was closed (Q12): this client
 * refused the server (its certificate, for one: a TLS alert sent as a transport CRYPTO_ERROR, 0x100
 * plus the alert, {@link CloseInfo#local()} true), or the server refused the client (no common
 * application protocol, for one: {@code local()} false). An {@link SSLHandshakeException}, so code
 * that catches a TLS handshake failure catches this one too.
 */
public final class QuicHandshakeException extends SSLHandshakeException {
  private static final long serialVersionUID = 1L;

  private final CloseInfo closeInfo;

  /**
   * @param message what failed
   * @param closeInfo how the connection was closed
   * @param cause the underlying failure, or null
   */
  public QuicHandshakeException(String message, CloseInfo closeInfo, @Nullable Throwable cause) {
    super(Objects.requireNonNull(message, "message"));
    this.closeInfo = Objects.requireNonNull(closeInfo, "closeInfo");
    if (cause != null) {
      initCause(cause);
    }
  }

  /**
   * @return how the connection was closed: the error code (a TLS alert as 0x100 plus the alert),
   *     the reason, a transport close or an application one, and which side closed
   */
  public CloseInfo closeInfo() {
    return closeInfo;
  }
}
