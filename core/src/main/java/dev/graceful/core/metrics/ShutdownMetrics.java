package dev.graceful.core.metrics;

import dev.graceful.core.ShutdownReport;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.util.Objects;

/**
 * Publishes how connections ended to Micrometer (an optional dependency: only this class needs it).
 * For one connection's {@code Mono<ShutdownResult>}, Reactor's own integration fits as well: {@code
 * shutdown.tap(Micrometer.metrics(registry))} from reactor-core-micrometer. Every shutdown Mono is
 * already named {@code graceful.shutdown} and tagged {@code protocol} and {@code mode}, and the
 * listener sees the subscriber's {@code Context}.
 *
 * <p>Meters, all tagged {@code server}:
 *
 * <ul>
 *   <li>{@code graceful.shutdown.connections} (counter), tagged {@code outcome} ({@code COMPLETE},
 *       {@code SENT}) or {@code error} (a {@code ShutdownException.Reason}), and {@code forced};
 *   <li>{@code graceful.shutdown.latency} (timer): each connection, from the start of the server
 *       shutdown to its end;
 *   <li>{@code graceful.shutdown.duration} (timer): whole server shutdowns;
 *   <li>{@code graceful.shutdown.drained.bytes} (counter): bytes drained before QUIC closes;
 *   <li>{@code graceful.shutdown.refused.requests} (counter): requests refused because they arrived
 *       on a connection already told to close.
 * </ul>
 */
@SuppressWarnings("exports") // MeterRegistry: Micrometer is optional, so not required transitively
public final class ShutdownMetrics {
  private ShutdownMetrics() {}

  /**
   * @param registry where to publish
   * @param server the server's name, as the {@code server} tag
   * @param report what to publish
   */
  public static void record(MeterRegistry registry, String server, ShutdownReport report) {
    Objects.requireNonNull(registry, "registry");
    Objects.requireNonNull(server, "server");
    Objects.requireNonNull(report, "report");
    Tags base = Tags.of("server", server);
    for (ShutdownReport.Entry e : report.entries()) {
      Tags t =
          base.and("forced", Boolean.toString(e.forced()))
              .and(
                  e.result().isPresent()
                      ? Tags.of("outcome", e.result().get().outcome().name(), "error", "none")
                      : Tags.of("outcome", "none", "error", e.error().get().reason().name()));
      registry.counter("graceful.shutdown.connections", t).increment();
      Timer.builder("graceful.shutdown.latency")
          .tags(base)
          .publishPercentileHistogram()
          .register(registry)
          .record(e.latency());
    }
    Timer.builder("graceful.shutdown.duration")
        .tags(base)
        .register(registry)
        .record(report.elapsed());
    registry.counter("graceful.shutdown.drained.bytes", base).increment(report.bytesDrained());
    registry
        .counter("graceful.shutdown.refused.requests", base)
        .increment(report.refusedRequests());
  }
}
