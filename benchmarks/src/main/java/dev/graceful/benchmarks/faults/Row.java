package dev.graceful.benchmarks.faults;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The tally of one row: trials, broken promises, lost bytes, leaks, hangs and what was seen. */
final class Row {
  final Scenario scenario;
  private long tried;
  private long unexpected;
  private long lost;
  private long leaked;
  private long hung;
  private long millis;
  private final Map<String, Long> outcomes = new TreeMap<>();
  private final List<String> failures = new ArrayList<>();
  private final List<String> leaks = new ArrayList<>();

  Row(Scenario scenario) {
    this.scenario = scenario;
  }

  synchronized void add(long seed, Verdict v) {
    tried++;
    outcomes.merge(v.outcome(), 1L, Long::sum);
    if (v.unexpected() != null && !v.hung()) {
      unexpected++;
    }
    lost += v.lost();
    if (v.hung()) {
      hung++;
    }
    if (v.failed() && failures.size() < 5) {
      failures.add(
          "seed " + Long.toUnsignedString(seed, 16) + ": " + v.outcome() + ": " + v.unexpected());
    }
  }

  synchronized void leaked(long count, String what) {
    leaked += count;
    if (count > 0) {
      leaks.add(what);
    }
  }

  synchronized void took(long ms) {
    millis += ms;
  }

  synchronized Result result() {
    return new Result(
        scenario.protocol(),
        scenario.role(),
        scenario.fault(),
        scenario.peer(),
        scenario.accepts(),
        tried,
        unexpected,
        lost,
        leaked,
        hung,
        millis,
        Map.copyOf(outcomes),
        List.copyOf(failures),
        List.copyOf(leaks));
  }

  /**
   * One row as printed and written to the JSON file.
   *
   * @param protocol the protocol
   * @param role graceful's side
   * @param fault what was thrown at it
   * @param peer the other side
   * @param accepts the acceptable outcomes
   * @param tried trials run
   * @param unexpected trials that ended outside the acceptable outcomes (or broke another check)
   * @param lost bytes lost without being reported
   * @param leaked resources left behind after the row (descriptors, threads, keys, tasks)
   * @param hung trials without a terminal signal within deadline and margin
   * @param millis the row's wall time
   * @param outcomes how many trials ended each way
   * @param failures the first failing trials, with their seeds
   * @param leaks what was left behind
   */
  record Result(
      String protocol,
      String role,
      String fault,
      String peer,
      String accepts,
      long tried,
      long unexpected,
      long lost,
      long leaked,
      long hung,
      long millis,
      Map<String, Long> outcomes,
      List<String> failures,
      List<String> leaks) {}
}
