package dev.graceful.tls;

import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
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
      new TlsServerOptions(null, Schedulers.parallel());

  /** The handshake deadline of a TLS server unless set: 10 s. */
  static final Duration TLS_HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);

  private final @Nullable Duration handshakeTimeout; // null: the server's own default
  private final Scheduler scheduler;

  private TlsServerOptions(@Nullable Duration handshakeTimeout, Scheduler scheduler) {
    this.handshakeTimeout = handshakeTimeout;
    this.scheduler = scheduler;
  }

  /**
   * @return the server's own handshake deadline (10 s for a {@link TlsServer}, {@link
   *     DtlsServer#DEFAULT_HANDSHAKE_TIMEOUT} for a {@link DtlsServer}), timed on {@code
   *     Schedulers.parallel()}
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
   * @return the handshake deadline of a {@link TlsServer}: the one set, else 10 s
   */
  public Duration handshakeTimeout() {
    return handshakeTimeoutOr(TLS_HANDSHAKE_TIMEOUT);
  }

  /**
   * @param serverDefault the server kind's own default ({@link DtlsServer} waits longer, for
   *     retransmissions)
   * @return the deadline set, else {@code serverDefault}
   */
  Duration handshakeTimeoutOr(Duration serverDefault) {
    return handshakeTimeout != null ? handshakeTimeout : serverDefault;
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
        + (handshakeTimeout != null ? handshakeTimeout : "server default")
        + ", scheduler="
        + scheduler
        + "]";
  }
}
