package dev.graceful.tls.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How long a listener stops accepting after accepts fail, and when that is worth a log line. */
class AcceptBackoffTest {

  // Every failure pauses accepting, each pause twice the last, up to a second; the first failure
  // of an episode is the one to log.
  @Test
  void pausesGrowFromTenMillisecondsToASecondAndOnlyTheFirstIsNews() {
    AcceptBackoff backoff = new AcceptBackoff();
    List<Duration> pauses = new ArrayList<>();
    List<Boolean> news = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      AcceptBackoff.Pause p = backoff.failed();
      pauses.add(p.length());
      news.add(p.firstOfEpisode());
    }
    assertThat(pauses)
        .extracting(Duration::toMillis)
        .containsExactly(10L, 20L, 40L, 80L, 160L, 320L, 640L, 1000L, 1000L, 1000L);
    assertThat(news)
        .containsExactly(true, false, false, false, false, false, false, false, false, false);
  }

  // An accept that succeeds ends the episode: it says how many failed, and the next failure
  // starts again from the shortest pause, as news.
  @Test
  void aSuccessEndsTheEpisodeAndStartsOver() {
    AcceptBackoff backoff = new AcceptBackoff();
    assertThat(backoff.succeeded()).as("no episode: nothing to say").isZero();
    backoff.failed();
    backoff.failed();
    backoff.failed();
    assertThat(backoff.succeeded()).isEqualTo(3);
    assertThat(backoff.succeeded()).isZero();
    AcceptBackoff.Pause p = backoff.failed();
    assertThat(p.length()).isEqualTo(Duration.ofMillis(10));
    assertThat(p.firstOfEpisode()).isTrue();
  }
}
