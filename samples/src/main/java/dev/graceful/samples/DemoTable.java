package dev.graceful.samples;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** What each part of the demo reports: rows of a table, and what went wrong. */
final class DemoTable {
  private DemoTable() {}

  /** One line of the table. */
  record Row(
      String server,
      String mode,
      String clients,
      String ending,
      int count,
      long p50Ms,
      long p99Ms) {}

  /** One server's part. */
  record Section(
      String server, int connections, long shutdownMs, List<Row> rows, List<String> problems) {}

  /**
   * One row per ending, in the order of the ending's name, with latency percentiles.
   *
   * @param ending how an entry is named in the table
   * @param clients the client kind shown for an ending
   */
  static List<Row> rows(
      String server,
      String mode,
      dev.graceful.core.ShutdownReport report,
      java.util.function.Function<dev.graceful.core.ShutdownReport.Entry, String> ending,
      java.util.function.UnaryOperator<String> clients) {
    java.util.Map<String, List<Duration>> byEnding = new java.util.TreeMap<>();
    for (dev.graceful.core.ShutdownReport.Entry e : report.entries()) {
      byEnding.computeIfAbsent(ending.apply(e), k -> new ArrayList<>()).add(e.latency());
    }
    List<Row> rows = new ArrayList<>();
    byEnding.forEach(
        (k, l) ->
            rows.add(new Row(server, mode, clients.apply(k), k, l.size(), pct(l, 50), pct(l, 99))));
    return rows;
  }

  static long pct(List<Duration> values, int p) {
    if (values.isEmpty()) {
      return 0;
    }
    List<Duration> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    return sorted
        .get(Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1))
        .toMillis();
  }
}
