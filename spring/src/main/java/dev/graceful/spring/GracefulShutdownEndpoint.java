package dev.graceful.spring;

import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;

/**
 * Actuator endpoint {@code gracefulshutdown}: whether the web server is draining, and the summary
 * of the last shutdown's report (null before one has ended). Exposed like every endpoint, e.g.
 * {@code management.endpoints.web.exposure.include=health,gracefulshutdown} or over JMX.
 */
@Endpoint(id = "gracefulshutdown")
public final class GracefulShutdownEndpoint {
  private final GracefulShutdownSignal signal;
  private final GracefulShutdownLifecycle lifecycle;

  /**
   * @param signal whether draining has begun
   * @param lifecycle where the last report is kept
   */
  public GracefulShutdownEndpoint(
      GracefulShutdownSignal signal, GracefulShutdownLifecycle lifecycle) {
    this.signal = Objects.requireNonNull(signal, "signal");
    this.lifecycle = Objects.requireNonNull(lifecycle, "lifecycle");
  }

  /**
   * @return the state now
   */
  @ReadOperation
  public State state() {
    return new State(
        signal.isDraining(), lifecycle.lastReport().map(ShutdownSummary::of).orElse(null));
  }

  /**
   * What the endpoint shows.
   *
   * @param draining whether the shutdown has begun
   * @param lastReport the last shutdown's summary, null before one has ended
   */
  public record State(boolean draining, @Nullable ShutdownSummary lastReport) {}
}
