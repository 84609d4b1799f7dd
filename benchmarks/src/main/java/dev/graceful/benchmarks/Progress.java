package dev.graceful.benchmarks;

import java.io.PrintStream;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * One phase of a benchmark's progress on stderr: after each step, a line with the step's number of
 * the phase's total, the time since the phase began and an estimate of the time left, from the
 * average step so far. Standard output, where the figures go, is left alone.
 */
public final class Progress {
  private final String phase;
  private final int total;
  private final long minIntervalNanos;
  private final PrintStream err;
  private final LongSupplier nanoClock;
  private final long start;
  private long lastLine;
  private int done;

  /**
   * @param phase what the steps are, as printed at the start of each line
   * @param total steps in this phase
   * @param minIntervalNanos lines closer together than this are left out (the last step's never): 0
   *     for a line per step, more for phases of many short steps
   * @param err where the lines go
   * @param nanoClock the clock, {@link System#nanoTime} outside tests
   */
  public Progress(
      String phase, int total, long minIntervalNanos, PrintStream err, LongSupplier nanoClock) {
    this.phase = phase;
    this.total = total;
    this.minIntervalNanos = minIntervalNanos;
    this.err = err;
    this.nanoClock = nanoClock;
    this.start = nanoClock.getAsLong();
    this.lastLine = start - minIntervalNanos;
  }

  /**
   * A phase reporting each step on {@link System#err}.
   *
   * @param phase what the steps are
   * @param total steps in this phase
   * @return the phase, started now
   */
  public static Progress everyStep(String phase, int total) {
    return new Progress(phase, total, 0, System.err, System::nanoTime);
  }

  /**
   * A phase reporting on {@link System#err} at most once a second, and after its last step.
   *
   * @param phase what the steps are
   * @param total steps in this phase
   * @return the phase, started now
   */
  public static Progress everySecond(String phase, int total) {
    return new Progress(phase, total, 1_000_000_000L, System.err, System::nanoTime);
  }

  /**
   * Counts one step done and prints its line, unless the last one was printed too recently.
   *
   * @param detail what this step was, or "" for nothing more than its number
   */
  public void step(String detail) {
    done++;
    long now = nanoClock.getAsLong();
    if (done < total && now - lastLine < minIntervalNanos) {
      return;
    }
    lastLine = now;
    err.println(line(detail, now - start));
  }

  /**
   * @return the line for the step just done, {@code elapsed} nanoseconds into the phase
   */
  String line(String detail, long elapsed) {
    long eta = done == 0 ? 0 : elapsed / done * Math.max(0, total - done);
    return String.format(
        Locale.ROOT,
        "%s %d/%d%s: elapsed %s, ETA %s",
        phase,
        done,
        total,
        detail.isEmpty() ? "" : " (" + detail + ")",
        duration(elapsed),
        duration(eta));
  }

  /**
   * @return {@code nanos} as "4.2 s", "3m07s" or "1h02m"
   */
  static String duration(long nanos) {
    long s = nanos / 1_000_000_000L;
    if (s < 60) {
      return String.format(Locale.ROOT, "%.1f s", nanos / 1e9);
    }
    if (s < 3600) {
      return String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
    }
    return String.format(Locale.ROOT, "%dh%02dm", s / 3600, s % 3600 / 60);
  }
}
