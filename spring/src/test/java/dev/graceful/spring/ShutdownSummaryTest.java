package dev.graceful.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graceful.core.Outcome;
import dev.graceful.core.ShutdownException;
import dev.graceful.core.ShutdownReport;
import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownState;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** G5 as the starter shows it: the report in sum, and its one JSON line. */
@Tag("G11")
class ShutdownSummaryTest {
  private static ShutdownReport.Entry ended(String id, Outcome outcome, boolean forced) {
    ShutdownResult r = ShutdownResult.builder(id).outcome(outcome).build();
    return new ShutdownReport.Entry(
        id, Optional.of(r), Optional.empty(), forced, Duration.ofMillis(3));
  }

  private static ShutdownReport.Entry failed(String id, ShutdownException.Reason reason) {
    ShutdownException e = new ShutdownException(reason, id, ShutdownState.NONE, "test", null);
    return new ShutdownReport.Entry(
        id, Optional.empty(), Optional.of(e), false, Duration.ofMillis(4));
  }

  @Test
  void countsOutcomesErrorsForcedAndRefusedRequests() {
    ShutdownReport report =
        new ShutdownReport(
            List.of(
                ended("a", Outcome.COMPLETE, false),
                ended("b", Outcome.COMPLETE, false),
                ended("c", Outcome.SENT, true),
                failed("d", ShutdownException.Reason.TRUNCATED)),
            Duration.ofMillis(1234),
            2);

    ShutdownSummary s = ShutdownSummary.of(report);

    assertThat(s.connections()).isEqualTo(4);
    assertThat(s.outcomes()).isEqualTo(Map.of("COMPLETE", 2, "SENT", 1));
    assertThat(s.errors()).isEqualTo(Map.of("TRUNCATED", 1));
    assertThat(s.forced()).isEqualTo(1);
    assertThat(s.refused()).isEqualTo(2);
    assertThat(s.elapsedMs()).isEqualTo(1234);
    assertThat(s.toJson())
        .isEqualTo(
            "{\"connections\":4,\"outcomes\":{\"COMPLETE\":2,\"SENT\":1},\"errors\":{\"TRUNCATED\":1},"
                + "\"forced\":1,\"refused\":2,\"elapsedMs\":1234}");
  }

  @Test
  void anEmptyShutdownIsValidJsonWithEmptyCounts() {
    assertThat(ShutdownSummary.of(new ShutdownReport(List.of(), Duration.ZERO)).toJson())
        .isEqualTo(
            "{\"connections\":0,\"outcomes\":{},\"errors\":{},\"forced\":0,\"refused\":0,\"elapsedMs\":0}");
  }
}
