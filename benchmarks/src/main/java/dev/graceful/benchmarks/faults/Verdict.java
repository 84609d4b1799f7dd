package dev.graceful.benchmarks.faults;

/**
 * How one trial went, judged against its row's acceptable outcomes.
 *
 * @param outcome what graceful reported: an outcome with its flags, an error reason, or {@code
 *     hung}
 * @param unexpected why the trial broke the contract, or null when it did not
 * @param lost application bytes the peer's application did not get although nothing reported it
 * @param hung whether no terminal signal came within the deadline and its margin
 */
record Verdict(String outcome, String unexpected, long lost, boolean hung) {
  static Verdict ok(String outcome) {
    return new Verdict(outcome, null, 0, false);
  }

  static Verdict unexpected(String outcome, String why) {
    return new Verdict(outcome, why, 0, false);
  }

  static Verdict hung(String why) {
    return new Verdict("hung", why, 0, true);
  }

  Verdict lost(long bytes, String why) {
    if (bytes <= 0) {
      return this;
    }
    String u = unexpected == null ? why : unexpected + "; " + why;
    return new Verdict(outcome, u, lost + bytes, hung);
  }

  /** This verdict, failed for {@code why} as well (nothing changes when {@code why} is null). */
  Verdict and(String why) {
    if (why == null) {
      return this;
    }
    return new Verdict(outcome, unexpected == null ? why : unexpected + "; " + why, lost, hung);
  }

  /** This verdict with its failure, if any, prefixed by {@code context}. */
  Verdict about(String context) {
    return unexpected == null
        ? this
        : new Verdict(outcome, context + ": " + unexpected, lost, hung);
  }

  boolean failed() {
    return unexpected != null || lost > 0 || hung;
  }
}
