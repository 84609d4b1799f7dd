package dev.graceful.tls.internal;

import java.time.Duration;

/**
 * How long a listener stops accepting after an accept failed. An accept fails when the process or
 * system ran out of file descriptors (EMFILE, ENFILE) or memory, and the connection it could not
 * take stays in the backlog: the listener is ready again at once, so accepting again without a
 * pause spins the loop thread and floods the log. Each failure in a row pauses twice as long as the
 * last, from 10 ms up to 1 s; an accept that succeeds ends the episode. Only the first failure of
 * an episode is news worth a log line. Confined to the listener's loop.
 */
public final class AcceptBackoff {
  /** The first pause of an episode. */
  static final Duration FIRST = Duration.ofMillis(10);

  /** The longest pause. */
  static final Duration LONGEST = Duration.ofSeconds(1);

  /**
   * One pause.
   *
   * @param length how long to stop accepting
   * @param firstOfEpisode true for the first failure since accepting last worked: log it
   */
  public record Pause(Duration length, boolean firstOfEpisode) {}

  private Duration next = FIRST;
  private long failures;

  /**
   * @return the pause after an accept failed
   */
  public Pause failed() {
    failures++;
    Duration pause = next;
    Duration doubled = next.multipliedBy(2);
    next = doubled.compareTo(LONGEST) > 0 ? LONGEST : doubled;
    return new Pause(pause, failures == 1);
  }

  /**
   * An accept succeeded: the episode, if any, is over.
   *
   * @return how many accepts failed in a row before it, 0 if none
   */
  public long succeeded() {
    long ended = failures;
    failures = 0;
    next = FIRST;
    return ended;
  }
}
