package dev.graceful.core;

import java.util.Objects;

/**
 * How a QUIC connection was closed, whoever closed it: OpenSSL's {@code SSL_CONN_CLOSE_INFO}.
 *
 * <p>One value answers the four questions an operator asks of a QUIC ending: which code, raised by
 * which frame, with what reason, and whether it was our close or the peer's, a transport ({@code
 * CONNECTION_CLOSE} type 0x1c) or an application ({@code 0x1d}) close. A connection that ended
 * without any {@code CONNECTION_CLOSE} (idle timeout, stateless reset) carries the transport code
 * graceful observed with {@link #local()} telling which side's timer or packet ended it.
 *
 * @param errorCode the error code, 0 to 2<sup>62</sup>−1
 * @param frameType for a transport close, the type of the frame that caused it; 0 when unknown or
 *     for an application close (RFC 9000 §19.19)
 * @param reason the reason phrase, possibly empty, never null
 * @param transport a transport close ({@code CONNECTION_CLOSE} 0x1c) rather than an application
 *     close (0x1d); OpenSSL's {@code SSL_CONN_CLOSE_FLAG_TRANSPORT}
 * @param local this side closed; OpenSSL's {@code SSL_CONN_CLOSE_FLAG_LOCAL}
 */
public record CloseInfo(
    long errorCode, long frameType, String reason, boolean transport, boolean local) {

  /** Largest QUIC variable-length integer, the upper bound of an error code. */
  public static final long MAX_CODE = (1L << 62) - 1;

  /** Checks the code range and that the reason is present. */
  public CloseInfo {
    Objects.requireNonNull(reason, "reason");
    if (errorCode < 0 || errorCode > MAX_CODE) {
      throw new IllegalArgumentException("error code " + errorCode + " outside [0, 2^62-1]");
    }
    if (frameType < 0 || frameType > MAX_CODE) {
      throw new IllegalArgumentException("frame type " + frameType + " outside [0, 2^62-1]");
    }
  }

  /**
   * @param errorCode the application's code
   * @param reason the reason phrase
   * @param local this side closed
   * @return an application close ({@code CONNECTION_CLOSE} 0x1d)
   */
  public static CloseInfo application(long errorCode, String reason, boolean local) {
    return new CloseInfo(errorCode, 0, reason, false, local);
  }

  /**
   * @param errorCode the transport error code (RFC 9000 §20.1)
   * @param frameType the frame that caused it, 0 when unknown
   * @param reason the reason phrase
   * @param local this side closed
   * @return a transport close ({@code CONNECTION_CLOSE} 0x1c)
   */
  public static CloseInfo transport(long errorCode, long frameType, String reason, boolean local) {
    return new CloseInfo(errorCode, frameType, reason, true, local);
  }

  /**
   * @return whether the peer closed (the negation of {@link #local()})
   */
  public boolean peer() {
    return !local;
  }
}
