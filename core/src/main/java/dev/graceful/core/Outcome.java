package dev.graceful.core;

/**
 * How a shutdown ended when it ended without an error; OpenSSL's {@code SSL_shutdown()} return
 * value.
 */
public enum Outcome {
  /** Returns 0: our close was sent, the peer's is not (yet) received. */
  SENT,
  /** Returns 1: ours sent and the peer's received (TLS), or the closing period is over (QUIC). */
  COMPLETE
}
