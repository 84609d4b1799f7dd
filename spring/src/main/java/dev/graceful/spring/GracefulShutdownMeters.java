package dev.graceful.spring;

import dev.graceful.core.ShutdownReport;
import dev.graceful.core.metrics.ShutdownMetrics;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Objects;
import reactor.core.publisher.Mono;

/**
 * Micrometer meters for the web server's graceful shutdown, all tagged {@code server=web}: a gauge
 * {@code graceful.shutdown.draining} (1 once draining has begun), and per shutdown those of {@link
 * ShutdownMetrics} (connections per outcome, error and forced; latencies; the duration; refused
 * requests). A push registry publishes them when it closes, after the shutdown.
 */
public final class GracefulShutdownMeters implements ServerShutdownDecorator {
  /** The {@code server} tag. */
  static final String SERVER = "web";

  private final MeterRegistry registry;

  /**
   * @param registry where to publish
   * @param signal whose draining the gauge shows
   */
  public GracefulShutdownMeters(MeterRegistry registry, GracefulShutdownSignal signal) {
    this.registry = Objects.requireNonNull(registry, "registry");
    Objects.requireNonNull(signal, "signal");
    Gauge.builder("graceful.shutdown.draining", signal, s -> s.isDraining() ? 1 : 0)
        .tag("server", SERVER)
        .description("1 once the web server's graceful shutdown has begun")
        .register(registry);
  }

  @Override
  public Mono<ShutdownReport> decorate(Mono<ShutdownReport> shutdown) {
    return shutdown.doOnNext(this::record);
  }

  private void record(ShutdownReport report) {
    ShutdownMetrics.record(registry, SERVER, report);
  }
}
