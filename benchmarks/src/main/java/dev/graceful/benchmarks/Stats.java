package dev.graceful.benchmarks;

import java.util.Arrays;

/** Percentiles of a sample, nearest-rank. */
final class Stats {
  private final double[] sorted;

  Stats(double[] values) {
    sorted = values.clone();
    Arrays.sort(sorted);
  }

  double p(double percentile) {
    if (sorted.length == 0) {
      return Double.NaN;
    }
    int rank = (int) Math.ceil(percentile / 100.0 * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
  }

  double median() {
    return p(50);
  }

  double max() {
    return sorted.length == 0 ? Double.NaN : sorted[sorted.length - 1];
  }

  int n() {
    return sorted.length;
  }
}
