package dev.graceful.core.spi;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graceful.core.ServerShutdown;
import dev.graceful.core.ShutdownReport;
import dev.graceful.core.ShutdownSpec;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.test.StepVerifier;

/** G10: a server's shutdown runs once, whoever asks and however often. */
class SharedShutdownTest {
  static final ServerShutdown HOW = ServerShutdown.of(ShutdownSpec.bidirectional());
  static final Duration WAIT = Duration.ofSeconds(5);

  // G10, R1: nothing runs before subscription; the first subscription runs it, every later one
  // (with any policy) observes the same report.
  @Tag("G10")
  @Tag("R1")
  @Test
  void firstSubscriptionRunsItAndEveryOneGetsTheSameReport() {
    AtomicInteger runs = new AtomicInteger();
    ShutdownReport report = new ShutdownReport(List.of(), Duration.ofMillis(3));
    SharedShutdown once =
        new SharedShutdown(
            how -> Mono.fromCallable(() -> runs.incrementAndGet()).thenReturn(report));
    Mono<ShutdownReport> first = once.shutdown(HOW);
    assertThat(runs).hasValue(0);
    assertThat(once.started()).isFalse();

    StepVerifier.create(first).expectNext(report).expectComplete().verify(WAIT);
    StepVerifier.create(once.shutdown(HOW.deadline(Duration.ofSeconds(1))))
        .expectNext(report)
        .expectComplete()
        .verify(WAIT);
    assertThat(runs).hasValue(1);
    assertThat(once.started()).isTrue();
  }

  // G10, R2: a subscriber that cancels stops only its own waiting; the run goes on and later
  // subscribers still get its report.
  @Tag("G10")
  @Tag("R2")
  @Test
  void cancellingASubscriberDoesNotAbandonTheRun() {
    Sinks.One<ShutdownReport> ends = Sinks.one();
    AtomicInteger cancelled = new AtomicInteger();
    SharedShutdown once =
        new SharedShutdown(how -> ends.asMono().doOnCancel(cancelled::incrementAndGet));
    Disposable impatient = once.shutdown(HOW).subscribe();
    impatient.dispose();
    ShutdownReport report = new ShutdownReport(List.of(), Duration.ofMillis(3));
    ends.tryEmitValue(report);
    assertThat(cancelled).hasValue(0);
    StepVerifier.create(once.shutdown(HOW)).expectNext(report).expectComplete().verify(WAIT);
  }
}
