package dev.graceful.tls;

import java.time.Duration;
import java.util.Objects;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * How a {@link TlsServer} treats the sockets it accepts. Immutable: each setter returns a new
 * options object, so one can serve any number of servers.
 *
 * <pre>{@code
 * TlsServer.bind(address, context, loops, engine -> {},
 *     TlsServerOptions.defaults().handshakeTimeout(Duration.ofSeconds(5)))
 * }</pre>
 */
public final class TlsServerOptions {
  private static final TlsServerOptions DEFAULTS =
      new TlsServerOptions(Duration.ofSeconds(10), Schedulers.parallel());

  private final Duration handshakeTimeout;
  private final Scheduler scheduler;

  private TlsServerOptions(Duration handshakeTimeout, Scheduler scheduler) {
    this.handshakeTimeout = handshakeTimeout;
    this.scheduler = scheduler;
  }

  /**
   * @return a 10 s handshake deadline, timed on {@code Schedulers.parallel()}
   */
  public static TlsServerOptions defaults() {
    return DEFAULTS;
  }

  /**
   * @param timeout how long an accepted socket may take, from its acceptance, to complete its TLS
   *     handshake; one that has not by then (a client that connects and sends nothing, or stops
   *     half way) is closed, with nothing sent, and counted in {@link
   *     TlsServer#handshakeFailures()}; positive
   * @return these options with that deadline
   */
  public TlsServerOptions handshakeTimeout(Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("handshake timeout must be positive: " + timeout);
    }
    return new TlsServerOptions(timeout, scheduler);
  }

  /**
   * R3.
   *
   * @param scheduler where the server's timers run: the handshake deadlines and the pauses of
   *     accepting after an accept failed (a virtual-time scheduler in tests)
   * @return these options on that scheduler
   */
  public TlsServerOptions scheduler(Scheduler scheduler) {
    return new TlsServerOptions(handshakeTimeout, Objects.requireNonNull(scheduler, "scheduler"));
  }

  /**
   * @return the handshake deadline
   */
  public Duration handshakeTimeout() {
    return handshakeTimeout;
  }

  /**
   * @return where the server's timers run
   */
  public Scheduler scheduler() {
    return scheduler;
  }

  @Override
  public String toString() {
    return "TlsServerOptions[handshakeTimeout="
        + handshakeTimeout
        + ", scheduler="
        + scheduler
        + "]";
  }
}
