package dev.graceful.core;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * G5: how a graceful server shutdown ended, connection by connection and in sum.
 *
 * @param entries one per connection, in the order they finished
 * @param elapsed from the start of the server shutdown to its end
 * @param refusedRequests requests that arrived on a connection already told to close (its last
 *     response said {@code Connection: close}, or its close went out) and were not dispatched to
 *     the application: their clients saw the connection close without a response and may retry
 *     them; zero where the server has no notion of requests
 */
public record ShutdownReport(List<Entry> entries, Duration elapsed, long refusedRequests) {
  /**
   * One connection's ending.
   *
   * @param connectionId the connection
   * @param result its outcome, or empty when it ended in an error
   * @param error the error, or empty
   * @param forced true when the policy did not finish by the deadline and the force spec ended it
   *     (G4: a straggler)
   * @param latency from the start of the server shutdown to this connection's end
   */
  public record Entry(
      String connectionId,
      Optional<ShutdownResult> result,
      Optional<ShutdownException> error,
      boolean forced,
      Duration latency) {
    /** Checks that exactly one of result and error is present. */
    public Entry {
      Objects.requireNonNull(connectionId, "connectionId");
      Objects.requireNonNull(latency, "latency");
      if (result.isPresent() == error.isPresent()) {
        throw new IllegalArgumentException("exactly one of result and error");
      }
    }
  }

  /** Copies the entries; checks that {@code refusedRequests} is not negative. */
  public ShutdownReport {
    entries = List.copyOf(entries);
    Objects.requireNonNull(elapsed, "elapsed");
    if (refusedRequests < 0) {
      throw new IllegalArgumentException(
          "refusedRequests must not be negative: " + refusedRequests);
    }
  }

  /**
   * A report without refused requests.
   *
   * @param entries one per connection, in the order they finished
   * @param elapsed from the start of the server shutdown to its end
   */
  public ShutdownReport(List<Entry> entries, Duration elapsed) {
    this(entries, elapsed, 0);
  }

  /**
   * @param refused requests refused while draining
   * @return this report with that count
   */
  public ShutdownReport withRefusedRequests(long refused) {
    return new ShutdownReport(entries, elapsed, refused);
  }

  /**
   * @return connections shut down
   */
  public int connections() {
    return entries.size();
  }

  /**
   * @return how many ended with each outcome (forced ones included)
   */
  public Map<Outcome, Integer> outcomes() {
    Map<Outcome, Integer> m = new EnumMap<>(Outcome.class);
    entries.forEach(e -> e.result().ifPresent(r -> m.merge(r.outcome(), 1, Integer::sum)));
    return Collections.unmodifiableMap(m);
  }

  /**
   * @return how many ended with each error reason
   */
  public Map<ShutdownException.Reason, Integer> errors() {
    Map<ShutdownException.Reason, Integer> m = new EnumMap<>(ShutdownException.Reason.class);
    entries.forEach(e -> e.error().ifPresent(x -> m.merge(x.reason(), 1, Integer::sum)));
    return Collections.unmodifiableMap(m);
  }

  /**
   * @return the connections forced at the deadline (G4), by identity
   */
  public List<String> stragglers() {
    List<String> s = new ArrayList<>();
    entries.forEach(
        e -> {
          if (e.forced()) {
            s.add(e.connectionId());
          }
        });
    return Collections.unmodifiableList(s);
  }

  /**
   * @return bytes drained before QUIC closes, in sum
   */
  public long bytesDrained() {
    return entries.stream()
        .flatMap(e -> e.result().stream())
        .mapToLong(ShutdownResult::bytesDrained)
        .sum();
  }

  /**
   * @param percentile in (0, 100]
   * @return the connection latency at that percentile (nearest rank), zero without connections
   */
  public Duration latency(double percentile) {
    if (!(percentile > 0 && percentile <= 100)) {
      throw new IllegalArgumentException("percentile must be in (0, 100]: " + percentile);
    }
    if (entries.isEmpty()) {
      return Duration.ZERO;
    }
    List<Duration> sorted = entries.stream().map(Entry::latency).sorted().toList();
    int rank = (int) Math.ceil(percentile / 100.0 * sorted.size());
    return sorted.get(Math.max(0, rank - 1));
  }

  /**
   * @return true when every connection ended with an outcome and none had to be forced; refused
   *     requests do not count against it (they were not processed, and their clients may retry)
   */
  public boolean clean() {
    return entries.stream().allMatch(e -> e.result().isPresent() && !e.forced());
  }
}
