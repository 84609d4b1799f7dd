package dev.graceful.benchmarks.tls;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which classes a stack's pending shutdowns keep alive: two class histograms of the server JVM (as
 * {@code jcmd GC.class_histogram} prints them), compared, per connection.
 */
final class HeapClasses {
  /** " 1: 12 345 com.example.Foo (java.base@17)": rank, instances, bytes, class. */
  private static final Pattern ROW =
      Pattern.compile("^\\s*\\d+:\\s+(\\d+)\\s+(\\d+)\\s+(\\S+)(?:\\s+\\(.*\\))?\\s*$");

  /** Classes shown per stack, largest growth first. */
  static final int SHOWN = 40;

  private HeapClasses() {}

  record Row(String type, long instances, long bytes) {}

  static Map<String, Row> parse(String histogram) {
    Map<String, Row> rows = new HashMap<>();
    for (String line : histogram.split("\n")) {
      Matcher m = ROW.matcher(line);
      if (m.matches()) {
        rows.put(
            m.group(3),
            new Row(m.group(3), Long.parseLong(m.group(1)), Long.parseLong(m.group(2))));
      }
    }
    return rows;
  }

  /**
   * @return the classes that grew from {@code before} to {@code after}, largest growth first
   */
  static List<Row> growth(Map<String, Row> before, Map<String, Row> after) {
    List<Row> grown = new ArrayList<>();
    for (Row a : after.values()) {
      Row b = before.get(a.type());
      long instances = a.instances() - (b == null ? 0 : b.instances());
      long bytes = a.bytes() - (b == null ? 0 : b.bytes());
      if (bytes > 0) {
        grown.add(new Row(a.type(), instances, bytes));
      }
    }
    grown.sort((x, y) -> Long.compare(y.bytes(), x.bytes()));
    return grown;
  }

  /**
   * Prints the largest growths from {@code before} to {@code after}, per connection.
   *
   * @return every class's growth, by class
   */
  static Map<String, Row> printGrowth(
      PrintStream out, String stack, Path before, Path after, int connections) throws IOException {
    List<Row> grown = growth(parse(Files.readString(before)), parse(Files.readString(after)));
    print(
        out,
        stack + ": live objects added per connection while shutdowns wait",
        grown,
        connections);
    Map<String, Row> byType = new HashMap<>();
    grown.forEach(r -> byType.put(r.type(), r));
    return byType;
  }

  /** Prints where one stack's growth exceeds another's: what the first keeps beyond the second. */
  static void printBeyond(
      PrintStream out,
      String label,
      Map<String, Row> stack,
      Map<String, Row> base,
      int connections) {
    print(out, label, growth(base, stack), connections);
  }

  private static void print(PrintStream out, String label, List<Row> grown, int connections) {
    long total = grown.stream().mapToLong(Row::bytes).sum();
    out.printf(Locale.ROOT, "  %s (%.0f B in all)%n", label, total / (double) connections);
    for (Row r : grown.subList(0, Math.min(SHOWN, grown.size()))) {
      out.printf(
          Locale.ROOT,
          "    %8.1f B %6.2f objects  %s%n",
          r.bytes() / (double) connections,
          r.instances() / (double) connections,
          r.type());
    }
  }
}
