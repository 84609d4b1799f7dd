package dev.graceful.netty.internal;

/**
 * A TLS alert as the peer's record bytes show it: an alert record (content type 21) whose two
 * bytes, level and description, travel in the clear (RFC 8446 §5.1 and §6, RFC 5246 §7.2), or an
 * alert record that is encrypted (TLS 1.2 after its ChangeCipherSpec), whose level and description
 * are not visible. TLS 1.3 encrypts its alerts inside application_data records once the handshake
 * keys are in place: those are not seen at all.
 *
 * @param level {@link #WARNING}, {@link #FATAL}, or {@link #UNKNOWN} when encrypted
 * @param description the alert's code, or {@link #UNKNOWN} when encrypted
 */
public record TlsAlert(int level, int description) {
  /** "enum { warning(1), fatal(2), (255) } AlertLevel;" */
  public static final int WARNING = 1;

  /** The fatal level. */
  public static final int FATAL = 2;

  /** Level and description of an encrypted alert. */
  public static final int UNKNOWN = -1;

  /**
   * @return an alert record whose contents are encrypted
   */
  public static TlsAlert encrypted() {
    return new TlsAlert(UNKNOWN, UNKNOWN);
  }

  /**
   * @return whether its level and description are unknown
   */
  public boolean isEncrypted() {
    return description == UNKNOWN;
  }

  /**
   * @return whether it is a fatal alert, as its level says
   */
  public boolean isFatal() {
    return level == FATAL;
  }

  /**
   * @return the description's name in the TLS alert registry, {@code "unknown"} for others
   */
  public String name() {
    return switch (description) {
      case 0 -> "close_notify";
      case 10 -> "unexpected_message";
      case 20 -> "bad_record_mac";
      case 21 -> "decryption_failed";
      case 22 -> "record_overflow";
      case 30 -> "decompression_failure";
      case 40 -> "handshake_failure";
      case 41 -> "no_certificate";
      case 42 -> "bad_certificate";
      case 43 -> "unsupported_certificate";
      case 44 -> "certificate_revoked";
      case 45 -> "certificate_expired";
      case 46 -> "certificate_unknown";
      case 47 -> "illegal_parameter";
      case 48 -> "unknown_ca";
      case 49 -> "access_denied";
      case 50 -> "decode_error";
      case 51 -> "decrypt_error";
      case 60 -> "export_restriction";
      case 70 -> "protocol_version";
      case 71 -> "insufficient_security";
      case 80 -> "internal_error";
      case 86 -> "inappropriate_fallback";
      case 90 -> "user_canceled";
      case 100 -> "no_renegotiation";
      case 109 -> "missing_extension";
      case 110 -> "unsupported_extension";
      case 111 -> "certificate_unobtainable";
      case 112 -> "unrecognized_name";
      case 113 -> "bad_certificate_status_response";
      case 114 -> "bad_certificate_hash_value";
      case 115 -> "unknown_psk_identity";
      case 116 -> "certificate_required";
      case 120 -> "no_application_protocol";
      default -> "unknown";
    };
  }

  /**
   * @return for example {@code "fatal alert handshake_failure (40)"}, or {@code "an encrypted
   *     alert"}
   */
  @Override
  public String toString() {
    if (isEncrypted()) {
      return "an encrypted alert (its level and description are not visible)";
    }
    String kind =
        switch (level) {
          case WARNING -> "warning alert ";
          case FATAL -> "fatal alert ";
          default -> "alert (level " + level + ") ";
        };
    return kind + name() + " (" + description + ")";
  }
}
