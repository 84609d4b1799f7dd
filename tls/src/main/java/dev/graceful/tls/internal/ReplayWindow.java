package dev.graceful.tls.internal;

/**
 * DTLS anti-replay, RFC 6347 §4.1.2.6: "Sequence number verification SHOULD be performed using the
 * following sliding window procedure ... A window size of 64 is preferred". The JDK 17 engine does
 * not do it: a replayed application-data record is decrypted and delivered again. Record numbers
 * are the 64-bit values {@code SSLEngineResult.sequenceNumber()} reports (epoch in the high bits),
 * so a newer epoch moves the window past everything older.
 */
final class ReplayWindow {
  private static final int SIZE = 64;
  private long highest = -1;
  private long seen; // bit i: highest - i was received

  /**
   * @param recordNumber the record's number; negative when the engine does not report one
   * @return true if the record is new (and is now marked), false for a replay or a too-old record
   */
  boolean accept(long recordNumber) {
    if (recordNumber < 0) {
      return true;
    }
    if (recordNumber > highest) {
      long shift = highest < 0 ? SIZE : recordNumber - highest;
      seen = shift >= SIZE ? 1L : (seen << shift) | 1L;
      highest = recordNumber;
      return true;
    }
    long behind = highest - recordNumber;
    if (behind >= SIZE) {
      return false; // left of the window
    }
    long bit = 1L << behind;
    if ((seen & bit) != 0) {
      return false; // a duplicate
    }
    seen |= bit;
    return true;
  }
}
