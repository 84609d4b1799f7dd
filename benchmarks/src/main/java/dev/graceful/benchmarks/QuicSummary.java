package dev.graceful.benchmarks;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** The arithmetic and wording of the quic subcommand's side-by-side lines. */
final class QuicSummary {
  private QuicSummary() {}

  /**
   * @param values a sample, NaN where a measurement failed
   * @return the finite values
   */
  static double[] known(double[] values) {
    return Arrays.stream(values).filter(Double::isFinite).toArray();
  }

  /**
   * @param values a sample, NaN where a measurement failed
   * @param digits decimals
   * @return "p50 / p99 / max", or why there is no figure
   */
  static String percentiles(double[] values, int digits) {
    Stats s = new Stats(known(values));
    if (s.n() == 0) {
      return noFigure(values);
    }
    return format(s.median(), digits)
        + " / "
        + format(s.p(99), digits)
        + " / "
        + format(s.max(), digits)
        + (s.n() < values.length ? " (" + (values.length - s.n()) + " failed)" : "");
  }

  /**
   * @param values a sample, NaN where a measurement failed
   * @param digits decimals
   * @return "min / median / max", or why there is no figure
   */
  static String range(double[] values, int digits) {
    Stats s = new Stats(known(values));
    if (s.n() == 0) {
      return noFigure(values);
    }
    return format(s.p(0), digits)
        + " / "
        + format(s.median(), digits)
        + " / "
        + format(s.max(), digits)
        + (s.n() < values.length ? " (" + (values.length - s.n()) + " failed)" : "");
  }

  /**
   * @param values a sample, NaN where a measurement failed
   * @param digits decimals
   * @return "p50 / max", or why there is no figure
   */
  static String medianAndMax(double[] values, int digits) {
    Stats s = new Stats(known(values));
    if (s.n() == 0) {
      return noFigure(values);
    }
    return format(s.median(), digits)
        + " / "
        + format(s.max(), digits)
        + (s.n() < values.length ? " (" + (values.length - s.n()) + " failed)" : "");
  }

  private static String noFigure(double[] values) {
    return values.length == 0 ? "not measured" : "no figure (all " + values.length + " failed)";
  }

  /**
   * @param value a figure, NaN if there is none
   * @param digits decimals
   * @return the figure, or "no figure"
   */
  static String format(double value, int digits) {
    return Double.isFinite(value)
        ? String.format(Locale.ROOT, "%." + digits + "f", value)
        : "no figure";
  }

  /**
   * @param a a sample
   * @param b another
   * @return median of a's known values over median of b's; NaN if either has none
   */
  static double ratioOfMedians(double[] a, double[] b) {
    Stats sa = new Stats(known(a));
    Stats sb = new Stats(known(b));
    return sa.n() == 0 || sb.n() == 0 ? Double.NaN : sa.median() / sb.median();
  }

  /**
   * The CPU one close cost: what the process used over the batch less what it used at rest over as
   * long, divided by the closes.
   *
   * @param batchCpuNanos process CPU time over the batch (the closes and the time let to them)
   * @param batchWallNanos the batch's wall-clock length
   * @param idleCpuNanos process CPU time over a window at rest, the same connections open
   * @param idleWallNanos that window's length
   * @param closes closes in the batch
   * @return ms of CPU per close; NaN if there were none or a time is not positive
   */
  static double cpuPerCloseMs(
      long batchCpuNanos, long batchWallNanos, long idleCpuNanos, long idleWallNanos, int closes) {
    if (closes <= 0 || batchWallNanos <= 0 || idleWallNanos <= 0) {
      return Double.NaN;
    }
    double atRest = (double) idleCpuNanos * batchWallNanos / idleWallNanos;
    return (batchCpuNanos - atRest) / closes / 1e6;
  }

  /**
   * @param label the measure, with its unit
   * @param cells each stack's name and figure, in order
   * @return "label: kwik x | netty y"
   */
  static String sideBySide(String label, List<String[]> cells) {
    List<String> parts = new ArrayList<>();
    for (String[] c : cells) {
      parts.add(c[0] + " " + c[1]);
    }
    return label + ": " + String.join(" | ", parts);
  }
}
