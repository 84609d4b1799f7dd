package dev.graceful.core;

/**
 * What a shutdown does to the transport (socket, datagram channel) when it ends. A shutdown by
 * itself never closes the transport (T4: "SSL_shutdown() does not affect an underlying network
 * connection"); closing it is the caller's choice.
 */
public enum TransportPolicy {
  /** Never touch the transport (the default). */
  KEEP_OPEN,
  /** Close the transport after any ending: a result, an error, a timeout or a cancellation. */
  CLOSE,
  /** Close it after an error, a timeout or a cancellation; keep it after a result. */
  CLOSE_ON_ABORT
}
