package dev.graceful.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

class QuicSummaryTest {
  @Test
  void cpuPerCloseSubtractsTheRestRateOverTheBatchLength() {
    // 300 ms of CPU over a 2 s batch, 50 ms per second at rest: 200 ms for 10 closes
    assertThat(
            QuicSummary.cpuPerCloseMs(
                300_000_000L, 2_000_000_000L, 50_000_000L, 1_000_000_000L, 10))
        .isCloseTo(20.0, within(1e-9));
  }

  @Test
  void cpuPerCloseHasNoFigureWithoutClosesOrWindows() {
    assertThat(QuicSummary.cpuPerCloseMs(1, 1, 1, 1, 0)).isNaN();
    assertThat(QuicSummary.cpuPerCloseMs(1, 0, 1, 1, 3)).isNaN();
    assertThat(QuicSummary.cpuPerCloseMs(1, 1, 1, 0, 3)).isNaN();
  }

  @Test
  void failedMeasurementsAreCountedNotFigured() {
    double[] v = {1.0, Double.NaN, 3.0, 2.0};
    assertThat(QuicSummary.percentiles(v, 1)).isEqualTo("2.0 / 3.0 / 3.0 (1 failed)");
    assertThat(QuicSummary.range(v, 1)).isEqualTo("1.0 / 2.0 / 3.0 (1 failed)");
    assertThat(QuicSummary.medianAndMax(new double[] {Double.NaN, Double.NaN}, 1))
        .isEqualTo("no figure (all 2 failed)");
    assertThat(QuicSummary.percentiles(new double[0], 1)).isEqualTo("not measured");
  }

  @Test
  void ratioOfMediansIgnoresFailuresAndHasNoFigureWithoutValues() {
    assertThat(
            QuicSummary.ratioOfMedians(
                new double[] {10, Double.NaN, 30}, new double[] {5, 20, Double.NaN}))
        .isCloseTo(2.0, within(1e-9)); // medians 10 and 5 (nearest rank)
    assertThat(QuicSummary.ratioOfMedians(new double[] {Double.NaN}, new double[] {1})).isNaN();
    assertThat(QuicSummary.format(Double.NaN, 2)).isEqualTo("no figure");
  }

  @Test
  void sideBySideNamesEachStack() {
    assertThat(
            QuicSummary.sideBySide(
                "m, ms", List.of(new String[] {"kwik", "1.0"}, new String[] {"netty", "2.0"})))
        .isEqualTo("m, ms: kwik 1.0 | netty 2.0");
  }

  @Test
  void aChildsFigureIsItsLastResultLine() {
    String out = "noise\nfirst-close-ms 4.5\nfirst-close-ms 6.25\nfirst-close-classes 37\n";
    assertThat(QuicFirstClose.parse(out, QuicFirstClose.PREFIX)).isEqualTo(6.25);
    assertThat(QuicFirstClose.parse(out, QuicFirstClose.CLASSES_PREFIX)).isEqualTo(37);
    assertThat(QuicFirstClose.parse("first-close-ms oops\n", QuicFirstClose.PREFIX)).isNaN();
    assertThat(QuicFirstClose.parse("", QuicFirstClose.CLASSES_PREFIX)).isNaN();
  }

  @Test
  void aChildsErrorKeepsItsMessagesNotItsFrames() {
    String stderr =
        "java.lang.IllegalStateException: rapid gave null\n"
            + "\tat dev.graceful.X.y(X.java:1)\n"
            + "Caused by: java.io.IOException: refused\n"
            + "\t... 3 more\n";
    assertThat(QuicFirstClose.stderrTail(stderr))
        .isEqualTo(
            ": java.lang.IllegalStateException: rapid gave null | Caused by: java.io.IOException:"
                + " refused");
    assertThat(QuicFirstClose.stderrTail("  \n")).isEmpty();
  }
}
