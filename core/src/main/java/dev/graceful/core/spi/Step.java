package dev.graceful.core.spi;

/** What one {@link ShutdownEngine#step} answered: OpenSSL's return value and SSL_get_error code. */
public enum Step {
  /** Returns 1: done. */
  COMPLETE,
  /** Returns 0 and the request does not wait for the peer: done, our close is out. */
  SENT,
  /** SSL_ERROR_WANT_READ: step again when the transport is readable. */
  WANT_READ,
  /** SSL_ERROR_WANT_WRITE: step again when the transport is writable. */
  WANT_WRITE
}
