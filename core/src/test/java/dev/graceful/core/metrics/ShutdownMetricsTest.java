package dev.graceful.core.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graceful.core.Initiator;
import dev.graceful.core.Outcome;
import dev.graceful.core.ShutdownException;
import dev.graceful.core.ShutdownMode;
import dev.graceful.core.ShutdownReport;
import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownState;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

class ShutdownMetricsTest {
  static ShutdownReport.Entry ok(String id, Outcome o, boolean forced, long ms) {
    ShutdownResult r =
        ShutdownResult.builder(id)
            .outcome(o)
            .state(ShutdownState.SENT)
            .initiator(Initiator.LOCAL)
            .mode(ShutdownMode.BIDIRECTIONAL)
            .elapsed(Duration.ofMillis(ms))
            .build();
    return new ShutdownReport.Entry(
        id, Optional.of(r), Optional.empty(), forced, Duration.ofMillis(ms));
  }

  // G5 through Micrometer: counts per outcome, error and forced; latencies; the whole duration.
  @Tag("G5")
  @Test
  void publishesOutcomesErrorsAndLatencies() {
    ShutdownException truncated =
        new ShutdownException(
            ShutdownException.Reason.TRUNCATED, "c3", ShutdownState.SENT, "eof", null);
    ShutdownReport report =
        new ShutdownReport(
            List.of(
                ok("c1", Outcome.COMPLETE, false, 10),
                ok("c2", Outcome.SENT, true, 2000),
                new ShutdownReport.Entry(
                    "c3", Optional.empty(), Optional.of(truncated), false, Duration.ofMillis(5))),
            Duration.ofMillis(2000));
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    ShutdownMetrics.record(registry, "https", report);
    assertThat(
            registry
                .get("graceful.shutdown.connections")
                .tags("outcome", "COMPLETE", "forced", "false")
                .counter()
                .count())
        .isEqualTo(1);
    assertThat(
            registry
                .get("graceful.shutdown.connections")
                .tags("outcome", "SENT", "forced", "true")
                .counter()
                .count())
        .isEqualTo(1);
    assertThat(
            registry
                .get("graceful.shutdown.connections")
                .tags("error", "TRUNCATED")
                .counter()
                .count())
        .isEqualTo(1);
    assertThat(registry.get("graceful.shutdown.latency").tags("server", "https").timer().count())
        .isEqualTo(3);
    assertThat(
            registry
                .get("graceful.shutdown.latency")
                .timer()
                .max(java.util.concurrent.TimeUnit.MILLISECONDS))
        .isEqualTo(2000);
    assertThat(
            registry
                .get("graceful.shutdown.duration")
                .timer()
                .totalTime(java.util.concurrent.TimeUnit.MILLISECONDS))
        .isEqualTo(2000);
  }

  // G5 through Micrometer: requests refused on connections already told to close are counted.
  @Tag("G5")
  @Test
  void publishesRefusedRequests() {
    ShutdownReport report =
        new ShutdownReport(List.of(ok("c1", Outcome.COMPLETE, false, 10)), Duration.ofMillis(10))
            .withRefusedRequests(3);
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    ShutdownMetrics.record(registry, "https", report);
    assertThat(
            registry
                .get("graceful.shutdown.refused.requests")
                .tags("server", "https")
                .counter()
                .count())
        .isEqualTo(3);
  }
}
