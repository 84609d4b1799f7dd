package dev.graceful.core;

/** Whether stream data was drained before the close (QUIC, Q5). */
public enum DrainStatus {
  /** The protocol has no drainage (TLS, DTLS). */
  NOT_APPLICABLE,
  /** Everything written was sent and acknowledged. */
  DRAINED,
  /** Drainage was skipped (no-stream-flush, wait-peer) or could not finish. */
  NOT_DRAINED,
  /** The drain deadline passed first. */
  TIMEOUT
}
