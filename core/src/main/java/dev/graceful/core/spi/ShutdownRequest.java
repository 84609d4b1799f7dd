package dev.graceful.core.spi;

import dev.graceful.core.Inbound;
import dev.graceful.core.ShutdownMode;
import dev.graceful.core.ShutdownSpec;
import java.util.Objects;

/**
 * What the loop asks of an engine on each step. Modes never reach into engines: they shape this
 * request, and the engine answers it from its current state.
 *
 * @param mode the mode to carry out
 * @param ignoreUnexpectedEof treat a transport EOF without close_notify as the peer's close
 * @param inbound what to do with application data read while waiting
 * @param quic the extended SSL_shutdown_ex arguments (QUIC only; others ignore them)
 */
public record ShutdownRequest(
    ShutdownMode mode, boolean ignoreUnexpectedEof, Inbound inbound, ShutdownSpec.QuicArgs quic) {
  /** Checks the components. */
  public ShutdownRequest {
    Objects.requireNonNull(mode, "mode");
    Objects.requireNonNull(inbound, "inbound");
    Objects.requireNonNull(quic, "quic");
  }
}
