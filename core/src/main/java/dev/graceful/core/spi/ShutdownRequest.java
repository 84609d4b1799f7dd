package dev.graceful.core.spi;

import dev.graceful.core.Inbound;
import dev.graceful.core.ShutdownMode;
import java.util.Objects;

/**
 * What the loop asks of an engine on each step. Modes never reach into engines: they shape this
 * request, and the engine answers it from its current state.
 *
 * @param mode the mode to carry out
 * @param ignoreUnexpectedEof treat a transport EOF without close_notify as the peer's close
 * @param inbound what to do with application data read while waiting
 */
public record ShutdownRequest(ShutdownMode mode, boolean ignoreUnexpectedEof, Inbound inbound) {
  /** Checks the components. */
  public ShutdownRequest {
    Objects.requireNonNull(mode, "mode");
    Objects.requireNonNull(inbound, "inbound");
  }
}
