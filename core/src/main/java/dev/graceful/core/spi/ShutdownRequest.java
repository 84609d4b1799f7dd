package dev.graceful.core.spi;

import dev.graceful.core.Inbound;
import dev.graceful.core.ShutdownMode;
import dev.graceful.core.ShutdownSpec;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import reactor.core.scheduler.Scheduler;

/**
 * What the loop asks of an engine on each step. Modes never reach into engines: they shape this
 * request, and the engine answers it from its current state.
 *
 * @param mode the mode to carry out
 * @param ignoreUnexpectedEof treat a transport EOF without close_notify as the peer's close
 * @param inbound what to do with application data read while waiting
 * @param quic the extended SSL_shutdown_ex arguments (QUIC only; others ignore them)
 * @param timer the spec's scheduler: every timer an engine needs (closing period, drain polls)
 *     runs on it, so virtual time drives engines too (R3)
 * @param deadline the whole shutdown's deadline, if any, for engines that budget phases of it
 */
public record ShutdownRequest(
    ShutdownMode mode,
    boolean ignoreUnexpectedEof,
    Inbound inbound,
    ShutdownSpec.QuicArgs quic,
    Scheduler timer,
    Optional<Duration> deadline) {
  /** Checks the components. */
  public ShutdownRequest {
    Objects.requireNonNull(mode, "mode");
    Objects.requireNonNull(inbound, "inbound");
    Objects.requireNonNull(quic, "quic");
    Objects.requireNonNull(timer, "timer");
    Objects.requireNonNull(deadline, "deadline");
  }
}
