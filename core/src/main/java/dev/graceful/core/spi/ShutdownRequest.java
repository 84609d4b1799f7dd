package dev.graceful.core.spi;

import dev.graceful.core.Inbound;
import dev.graceful.core.ShutdownMode;
import dev.graceful.core.ShutdownSpec;
import java.time.Duration;
import java.util.List;
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
 * @param streamFlush drain streams before closing (QUIC only; others have no streams to drain)
 * @param options the spec's protocol options; each protocol reads its own and ignores the rest
 * @param timer the spec's scheduler: every timer an engine needs (closing period, drain polls) runs
 *     on it, so virtual time drives engines too (R3)
 * @param deadline the whole shutdown's deadline, if any, for engines that budget phases of it
 */
public record ShutdownRequest(
    ShutdownMode mode,
    boolean ignoreUnexpectedEof,
    Inbound inbound,
    boolean streamFlush,
    List<ShutdownSpec.ProtocolOption> options,
    Scheduler timer,
    Optional<Duration> deadline) {
  /** Checks the components; copies the options. */
  public ShutdownRequest {
    Objects.requireNonNull(mode, "mode");
    Objects.requireNonNull(inbound, "inbound");
    options = List.copyOf(options);
    Objects.requireNonNull(timer, "timer");
    Objects.requireNonNull(deadline, "deadline");
  }

  /**
   * @param type an option's class
   * @param <T> the option's type
   * @return the protocol option of that type, if the spec has one
   */
  public <T extends ShutdownSpec.ProtocolOption> Optional<T> option(Class<T> type) {
    for (ShutdownSpec.ProtocolOption o : options) {
      if (type.isInstance(o)) {
        return Optional.of(type.cast(o));
      }
    }
    return Optional.empty();
  }
}
