package dev.graceful.benchmarks;

/**
 * Nearest-rank percentiles of a sample, as written to the results file (null where the sample is
 * empty).
 *
 * @param n the sample's size
 * @param p50 the median
 * @param p90 the 90th percentile
 * @param p99 the 99th percentile
 * @param p999 the 99.9th percentile
 * @param max the largest value
 */
public record Distribution(int n, Double p50, Double p90, Double p99, Double p999, Double max) {

  /**
   * @param values the sample, in any order
   * @return its percentiles
   */
  public static Distribution of(double[] values) {
    Stats s = new Stats(values);
    return new Distribution(
        s.n(),
        Json.number(s.p(50)),
        Json.number(s.p(90)),
        Json.number(s.p(99)),
        Json.number(s.p(99.9)),
        Json.number(s.max()));
  }
}
