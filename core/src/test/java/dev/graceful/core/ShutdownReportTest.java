package dev.graceful.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The report's count of requests refused while draining. */
@Tag("G5")
class ShutdownReportTest {
  static ShutdownReport.Entry complete(String id) {
    ShutdownResult r =
        ShutdownResult.builder(id)
            .outcome(Outcome.COMPLETE)
            .state(ShutdownState.SENT_AND_RECEIVED)
            .build();
    return new ShutdownReport.Entry(
        id, Optional.of(r), Optional.empty(), false, Duration.ofMillis(3));
  }

  @Test
  void reportWithoutRequestsRefusesNone() {
    ShutdownReport report = new ShutdownReport(List.of(complete("a")), Duration.ofMillis(5));
    assertThat(report.refusedRequests()).isZero();
  }

  @Test
  void refusedRequestsAreCountedAndLeaveTheReportClean() {
    ShutdownReport report =
        new ShutdownReport(List.of(complete("a")), Duration.ofMillis(5)).withRefusedRequests(3);
    assertThat(report.refusedRequests()).isEqualTo(3);
    assertThat(report.connections()).isEqualTo(1);
    assertThat(report.elapsed()).isEqualTo(Duration.ofMillis(5));
    assertThat(report.clean())
        .as("a refused request was not processed: its client may retry it")
        .isTrue();
  }

  @Test
  void negativeCountIsRefused() {
    assertThatThrownBy(() -> new ShutdownReport(List.of(), Duration.ZERO, -1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("refusedRequests");
  }
}
