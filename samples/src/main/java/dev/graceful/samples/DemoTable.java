package dev.graceful.samples;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** What each part of the demo reports: rows of a table, and what went wrong. */
final class DemoTable {
  private DemoTable() {}

  /** One line of the table. */
  record Row(String server, String mode, String clients, String ending, int count, long p50Ms, long p99Ms) {}

  /** One server's part. */
  record Section(String server, int connections, long shutdownMs, List<Row> rows, List<String> problems) {}

  static long pct(List<Duration> values, int p) {
    if (values.isEmpty()) {
      return 0;
    }
    List<Duration> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1)).toMillis();
  }
}
