package dev.graceful.spring;

import dev.graceful.core.ServerShutdown;
import dev.graceful.core.ShutdownMode;
import dev.graceful.core.ShutdownSpec;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * How the reactor-netty server of a WebFlux application shuts down ({@code graceful.shutdown.*}).
 * Invalid values fail startup with a message that names the property.
 *
 * @param enabled Whether graceful takes over the web server's shutdown.
 * @param mode How every open connection is ended once its in-flight exchanges are done (or the
 *     grace period is over): bidirectional (send close_notify, wait for the client's), fast (send,
 *     do not wait), quiet (send nothing) or wait-peer (wait for the client to start, then answer).
 * @param grace How long in-flight exchanges (requests being answered, streams told to finish) may
 *     take before every connection is ended anyway; zero or more, shorter than the timeout.
 * @param timeout From the start of the shutdown, the deadline by which every connection has ended;
 *     connections still ending then are forced.
 * @param force How a connection still ending at the deadline is forced: fast (send close_notify, do
 *     not wait) or quiet (send nothing, close).
 */
@ConfigurationProperties("graceful.shutdown")
public record GracefulShutdownProperties(
    @DefaultValue("true") boolean enabled,
    @DefaultValue("bidirectional") Mode mode,
    @DefaultValue("5s") Duration grace,
    @DefaultValue("10s") Duration timeout,
    @DefaultValue("fast") Mode force) {

  /** How long forcing one straggler may take, after the deadline. */
  static final Duration FORCE_TIMEOUT = Duration.ofSeconds(1);

  /** Checks every value; the message of a failure names the property. */
  public GracefulShutdownProperties {
    Objects.requireNonNull(mode, "graceful.shutdown.mode");
    Objects.requireNonNull(grace, "graceful.shutdown.grace");
    Objects.requireNonNull(timeout, "graceful.shutdown.timeout");
    Objects.requireNonNull(force, "graceful.shutdown.force");
    if (grace.isNegative()) {
      throw new IllegalArgumentException(
          "graceful.shutdown.grace must not be negative, was " + grace);
    }
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException(
          "graceful.shutdown.timeout must be positive, was " + timeout);
    }
    if (grace.compareTo(timeout) >= 0) {
      throw new IllegalArgumentException(
          "graceful.shutdown.grace ("
              + grace
              + ") must be shorter than graceful.shutdown.timeout ("
              + timeout
              + ")");
    }
    if (force != Mode.FAST && force != Mode.QUIET) {
      throw new IllegalArgumentException(
          "graceful.shutdown.force must be fast or quiet (a connection forced at the deadline is not"
              + " waited for), was "
              + force.propertyValue());
    }
  }

  /**
   * @return the server shutdown these properties describe
   */
  public ServerShutdown serverShutdown() {
    return ServerShutdown.of(mode.spec())
        .deadline(timeout)
        .grace(grace)
        .force(force.spec().timeout(FORCE_TIMEOUT));
  }

  /** A connection's shutdown mode, as {@code graceful.shutdown.mode} and {@code force} spell it. */
  public enum Mode {
    /** Send close_notify, then wait for the client's (OpenSSL's two-call {@code SSL_shutdown}). */
    BIDIRECTIONAL(ShutdownMode.BIDIRECTIONAL),
    /** Send close_notify and close without waiting for the client's. */
    FAST(ShutdownMode.FAST),
    /** Send nothing, close ({@code SSL_set_quiet_shutdown}). */
    QUIET(ShutdownMode.QUIET),
    /** Wait for the client to send its close_notify first, then answer it. */
    WAIT_PEER(ShutdownMode.WAIT_PEER);

    private final ShutdownMode mode;

    Mode(ShutdownMode mode) {
      this.mode = mode;
    }

    /**
     * @return graceful's shutdown spec in this mode (its timeout is the server shutdown's)
     */
    public ShutdownSpec spec() {
      return ShutdownSpec.of(mode);
    }

    /**
     * @return the spelling in properties, e.g. {@code wait-peer}
     */
    public String propertyValue() {
      return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
  }
}
