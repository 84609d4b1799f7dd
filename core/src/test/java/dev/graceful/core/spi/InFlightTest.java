package dev.graceful.core.spi;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.test.StepVerifier;

/** G2: counting a connection's exchanges in flight. */
class InFlightTest {
  static final Duration WAIT = Duration.ofSeconds(5);

  // G2: idle at once without exchanges; busy while one runs; idle again when it ends.
  @Tag("G2")
  @Test
  void idleOnceEveryCountedExchangeEnded() {
    InFlight f = new InFlight();
    StepVerifier.create(f.idle()).expectComplete().verify(WAIT);
    Sinks.Empty<Void> work = Sinks.empty();
    f.count(work.asMono()).subscribe();
    assertThat(f.size()).isEqualTo(1);
    StepVerifier.create(f.idle()).then(work::tryEmitEmpty).expectComplete().verify(WAIT);
    assertThat(f.size()).isZero();
  }

  // G2: a cancelled exchange no longer counts; surplus ends are ignored.
  @Tag("G2")
  @Test
  void cancelledExchangeNoLongerCounts() {
    InFlight f = new InFlight();
    Disposable d = f.count(Mono.never()).subscribe();
    assertThat(f.size()).isEqualTo(1);
    d.dispose();
    f.end();
    assertThat(f.size()).isZero();
    StepVerifier.create(f.idle()).expectComplete().verify(WAIT);
  }
}
