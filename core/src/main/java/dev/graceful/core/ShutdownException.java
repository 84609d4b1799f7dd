package dev.graceful.core;

import java.io.IOException;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * A shutdown that ended in an error: OpenSSL's {@code SSL_shutdown()} returning a negative value
 * with {@code SSL_ERROR_SYSCALL} or {@code SSL_ERROR_SSL}, plus the refusals graceful adds.
 * Expected endings (the peer answered, we only sent, forced at a deadline) are {@link
 * ShutdownResult}s.
 */
public class ShutdownException extends IOException {
  private static final long serialVersionUID = 1L;

  /** Why a shutdown failed. */
  public enum Reason {
    /** The transport closed without the peer's close_notify (unexpected EOF). */
    TRUNCATED,
    /** An I/O error on the transport; OpenSSL's SSL_ERROR_SYSCALL. */
    TRANSPORT,
    /** An alert, a bad record, a handshake failure; OpenSSL's SSL_ERROR_SSL. */
    PROTOCOL,
    /** The peer did not answer before the deadline. */
    TIMEOUT,
    /** Completion refused: application data is pending and the caller chose not to read it. */
    UNREAD_DATA,
    /** The connection cannot be shut down (or written) in its current state. */
    ILLEGAL_STATE,
    /** An argument is out of range; nothing was sent. */
    INVALID_ARGUMENT
  }

  /** Why the shutdown failed. */
  private final Reason reason;

  /** The connection's identity. */
  private final String connectionId;

  /** The shutdown state bits when it failed. */
  private final ShutdownState state;

  /** How the QUIC connection was closed, when the failure is its close. */
  private final @Nullable CloseInfo closeInfo;

  /**
   * @param reason why
   * @param connectionId the connection's identity (e.g. its addresses)
   * @param state the shutdown state when the failure happened
   * @param message a human explanation
   * @param cause the underlying exception, or null
   */
  public ShutdownException(
      Reason reason,
      String connectionId,
      ShutdownState state,
      String message,
      @Nullable Throwable cause) {
    this(reason, connectionId, state, message, cause, null);
  }

  /**
   * @param reason why
   * @param connectionId the connection's identity (e.g. its addresses)
   * @param state the shutdown state when the failure happened
   * @param message a human explanation
   * @param cause the underlying exception, or null
   * @param closeInfo how the QUIC connection was closed, or null when that is not the failure
   */
  public ShutdownException(
      Reason reason,
      String connectionId,
      ShutdownState state,
      String message,
      @Nullable Throwable cause,
      @Nullable CloseInfo closeInfo) {
    super(
        reason
            + " ["
            + connectionId
            + ", state "
            + state
            + "]: "
            + Objects.requireNonNull(message, "message"),
        cause);
    this.reason = Objects.requireNonNull(reason, "reason");
    this.connectionId = Objects.requireNonNull(connectionId, "connectionId");
    this.state = Objects.requireNonNull(state, "state");
    this.closeInfo = closeInfo;
  }

  /**
   * @return why the shutdown failed
   */
  public Reason reason() {
    return reason;
  }

  /**
   * @return the connection's identity
   */
  public String connectionId() {
    return connectionId;
  }

  /**
   * @return the shutdown state at the time of failure
   */
  public ShutdownState state() {
    return state;
  }

  /**
   * @return how the QUIC connection was closed (its code, frame, reason, side), when the failure is
   *     that close; empty for TLS and DTLS
   */
  public Optional<CloseInfo> closeInfo() {
    return Optional.ofNullable(closeInfo);
  }
}
