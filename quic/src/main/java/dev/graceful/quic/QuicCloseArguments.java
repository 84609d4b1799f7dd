package dev.graceful.quic;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The application error code and reason of a QUIC immediate close, checked and fitted as
 * SSL_shutdown_ex(3) requires, because Kwik checks neither: it accepts codes that kill its sender
 * thread (2^62) or corrupt the frame (negative), and silently sends no CONNECTION_CLOSE at all when
 * the reason does not fit one packet. graceful's one type for them: a shutdown gives them with
 * {@link QuicShutdown#closeWith}.
 *
 * @param errorCode the application error code, in [0, 2^62 − 1]
 * @param reason the reason, valid UTF-8 of at most {@link #MAX_REASON_BYTES} bytes
 */
public record QuicCloseArguments(long errorCode, String reason) {
  /** The largest application error code: "The value must be in the range [0, 2**62-1]" (Q2). */
  public static final long MAX_ERROR_CODE = (1L << 62) - 1;

  /**
   * The reason's budget in UTF-8 bytes. A CONNECTION_CLOSE must fit one packet, and a packet must
   * fit the smallest datagram every QUIC path carries, 1200 bytes (RFC 9000 §14). What remains
   * after the short header (1 byte), a destination connection id of up to 20, a packet number of up
   * to 4, the AEAD tag (16), the frame's own type (1), error code (up to 8) and reason length (2)
   * is 1148 bytes; 1024 leaves room for an ACK frame the sender may coalesce into the same packet.
   */
  public static final int MAX_REASON_BYTES = 1024;

  /** The defaults: code 0, empty reason (Q1). */
  public static final QuicCloseArguments DEFAULT = new QuicCloseArguments(0, "");

  /**
   * Checks the invariants; use {@link #of} to fit a reason instead.
   *
   * @param errorCode the application error code, in [0, 2^62 − 1]
   * @param reason the reason, valid UTF-8 of at most {@link #MAX_REASON_BYTES} bytes
   * @throws IllegalArgumentException when either is out of bounds
   */
  public QuicCloseArguments {
    checkCode(errorCode);
    Objects.requireNonNull(reason, "reason");
    if (reason.getBytes(StandardCharsets.UTF_8).length > MAX_REASON_BYTES) {
      throw new IllegalArgumentException("reason longer than " + MAX_REASON_BYTES + " bytes");
    }
  }

  /**
   * Checks the code (Q2) and copies and fits the reason (Q3): "truncated to fit one packet at a
   * code-point boundary, never producing invalid UTF-8". Unpaired surrogates become U+FFFD.
   *
   * @param errorCode the application error code, in [0, 2^62 − 1]
   * @param reason a reason, or null for none
   * @return the arguments to send
   * @throws IllegalArgumentException for a code outside [0, 2^62 − 1]
   */
  public static QuicCloseArguments of(long errorCode, @Nullable String reason) {
    checkCode(errorCode);
    return new QuicCloseArguments(errorCode, fit(reason));
  }

  /**
   * @param errorCode an application error code (of a close, or of a stream's reset)
   * @throws IllegalArgumentException when it is outside [0, 2^62 − 1]
   */
  static void checkCode(long errorCode) {
    if (errorCode < 0 || errorCode > MAX_ERROR_CODE) {
      throw new IllegalArgumentException(
          "QUIC application error code "
              + Long.toUnsignedString(errorCode)
              + " is outside [0, 2^62-1]");
    }
  }

  /**
   * @param reason any string, or null
   * @return the longest prefix, in whole code points, whose UTF-8 form fits {@link
   *     #MAX_REASON_BYTES}, with unpaired surrogates replaced by U+FFFD
   */
  static String fit(@Nullable String reason) {
    if (reason == null || reason.isEmpty()) {
      return "";
    }
    StringBuilder out = new StringBuilder(Math.min(reason.length(), MAX_REASON_BYTES));
    int bytes = 0;
    for (int i = 0; i < reason.length(); ) {
      int cp = reason.codePointAt(i);
      i += Character.charCount(cp);
      if (Character.getType(cp) == Character.SURROGATE) {
        cp = 0xFFFD; // an unpaired surrogate has no UTF-8 form
      }
      int size = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
      if (bytes + size > MAX_REASON_BYTES) {
        break;
      }
      bytes += size;
      out.appendCodePoint(cp);
    }
    return out.toString();
  }

  /**
   * @return the reason as it goes on the wire
   */
  public ByteBuffer reasonBytes() {
    return ByteBuffer.wrap(reason.getBytes(StandardCharsets.UTF_8)).asReadOnlyBuffer();
  }
}
