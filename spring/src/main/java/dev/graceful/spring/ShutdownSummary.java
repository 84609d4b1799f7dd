package dev.graceful.spring;

import dev.graceful.core.Outcome;
import dev.graceful.core.ShutdownException;
import dev.graceful.core.ShutdownReport;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * A server shutdown's report in sum, as the log line, the Actuator endpoint and the sample's JSON
 * line show it.
 *
 * @param connections connections shut down
 * @param outcomes how many ended with each outcome ({@code COMPLETE}: both close_notify went
 *     across; {@code SENT}: ours went out, the client's did not come)
 * @param errors how many ended with each error reason
 * @param forced connections forced at the deadline
 * @param refused requests refused because they arrived on a connection already told to close
 * @param elapsedMs how long the whole shutdown took, in milliseconds
 */
public record ShutdownSummary(
    int connections,
    Map<String, Integer> outcomes,
    Map<String, Integer> errors,
    int forced,
    long refused,
    long elapsedMs) {

  /** Copies the maps, sorted by name. */
  public ShutdownSummary {
    outcomes = Map.copyOf(Objects.requireNonNull(outcomes, "outcomes"));
    errors = Map.copyOf(Objects.requireNonNull(errors, "errors"));
  }

  /**
   * @param report a server shutdown's report
   * @return its summary
   */
  public static ShutdownSummary of(ShutdownReport report) {
    Map<String, Integer> outcomes = new TreeMap<>();
    for (Map.Entry<Outcome, Integer> e : report.outcomes().entrySet()) {
      outcomes.put(e.getKey().name(), e.getValue());
    }
    Map<String, Integer> errors = new TreeMap<>();
    for (Map.Entry<ShutdownException.Reason, Integer> e : report.errors().entrySet()) {
      errors.put(e.getKey().name(), e.getValue());
    }
    return new ShutdownSummary(
        report.connections(),
        outcomes,
        errors,
        report.stragglers().size(),
        report.refusedRequests(),
        report.elapsed().toMillis());
  }

  /**
   * @return this summary as one line of JSON, e.g. {@code
   *     {"connections":2,"outcomes":{"COMPLETE":2},
   *     "errors":{},"forced":0,"refused":0,"elapsedMs":41}}
   */
  public String toJson() {
    // keys are fixed names and enum constant names: nothing needs escaping
    return "{\"connections\":"
        + connections
        + ",\"outcomes\":"
        + json(outcomes)
        + ",\"errors\":"
        + json(errors)
        + ",\"forced\":"
        + forced
        + ",\"refused\":"
        + refused
        + ",\"elapsedMs\":"
        + elapsedMs
        + "}";
  }

  private static String json(Map<String, Integer> counts) {
    StringBuilder b = new StringBuilder("{");
    new TreeMap<>(counts)
        .forEach(
            (k, v) ->
                b.append(b.length() > 1 ? "," : "").append('"').append(k).append("\":").append(v));
    return b.append('}').toString();
  }
}
