package dev.graceful.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graceful.core.Outcome;
import dev.graceful.core.ShutdownReport;
import java.time.Duration;

/** G10: what every server kind's report must say after a clean graceful shutdown. */
public final class ReportShape {
  private ReportShape() {}

  /**
   * Checks the fields every kind fills: one entry per connection, each with an outcome and a
   * latency within the elapsed time, the outcomes counted, no error, no straggler.
   *
   * @param report the report
   * @param connections connections the server held
   * @param outcome the outcome each ended with
   */
  public static void assertClean(ShutdownReport report, int connections, Outcome outcome) {
    assertThat(report.connections()).isEqualTo(connections);
    assertThat(report.outcomes()).containsExactlyEntriesOf(java.util.Map.of(outcome, connections));
    assertThat(report.errors()).isEmpty();
    assertThat(report.stragglers()).isEmpty();
    assertThat(report.clean()).isTrue();
    assertThat(report.elapsed()).isPositive();
    for (ShutdownReport.Entry e : report.entries()) {
      assertThat(e.connectionId()).isNotBlank();
      assertThat(e.result()).isPresent();
      assertThat(e.latency()).isBetween(Duration.ZERO, report.elapsed());
    }
    assertThat(report.latency(100)).isPositive();
  }
}
