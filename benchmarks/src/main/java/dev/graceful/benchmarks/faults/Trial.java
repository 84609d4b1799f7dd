package dev.graceful.benchmarks.faults;

/** One trial of a row: sets up real peers, injects the row's fault, judges the ending. */
@FunctionalInterface
interface Trial {
  /**
   * @param seed this trial's seed: every random choice of the trial comes from it
   * @return the verdict
   * @throws Exception a failure of the harness itself (counted as unexpected, with its message)
   */
  Verdict run(long seed) throws Exception;
}
