package dev.graceful.core.spi.loop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/** R4: loop threads are non-blocking; the loop reports its registrations for leak checks. */
class SelectorLoopTest {
  static final Duration WAIT = Duration.ofSeconds(10);

  // R4: block() on a loop thread fails loudly (Reactor's NonBlocking marker).
  @Tag("R4")
  @Test
  void blockingOnTheLoopThreadFails() {
    SelectorLoop loop = SelectorLoop.start("test-loop");
    try {
      // Observed on the loop, asserted here: an assertion failing on the loop thread would be lost.
      CompletableFuture<Boolean> nonBlocking = new CompletableFuture<>();
      CompletableFuture<Throwable> seen = new CompletableFuture<>();
      loop.execute(
          () -> {
            nonBlocking.complete(Schedulers.isInNonBlockingThread());
            try {
              Mono.never().block(Duration.ofMillis(1));
              seen.complete(null);
            } catch (Throwable t) {
              seen.complete(t);
            }
          });
      assertThat(nonBlocking).succeedsWithin(WAIT).isEqualTo(true);
      assertThat(seen)
          .succeedsWithin(WAIT, org.assertj.core.api.InstanceOfAssertFactories.THROWABLE)
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("block()/blockFirst()/blockLast() are blocking");
    } finally {
      loop.shutdown().block(WAIT);
    }
  }

  // R4 under BlockHound: a blocking call in a task is reported, and the loop survives it.
  @Tag("R4")
  @Test
  void blockingCallInATaskIsReportedAndTheLoopSurvives() {
    SelectorLoop loop = SelectorLoop.start("test-loop");
    try {
      CompletableFuture<Throwable> seen = new CompletableFuture<>();
      loop.execute(
          () -> {
            try {
              Thread.sleep(1);
              seen.complete(null);
            } catch (Throwable t) {
              seen.complete(t);
            }
          });
      assertThat(seen)
          .succeedsWithin(WAIT, org.assertj.core.api.InstanceOfAssertFactories.THROWABLE)
          .hasMessageContaining("Blocking call");
      CompletableFuture<Boolean> alive = new CompletableFuture<>();
      loop.execute(() -> alive.complete(loop.inLoop()));
      assertThat(alive).succeedsWithin(WAIT).isEqualTo(true);
    } finally {
      loop.shutdown().block(WAIT);
    }
  }

  @Test
  void censusCountsKeysAndTasks() {
    SelectorLoop loop = SelectorLoop.start("test-loop");
    try {
      int[] census = loop.census().block(WAIT);
      assertThat(census).containsExactly(0, 0);
    } finally {
      loop.shutdown().block(WAIT);
    }
    assertThatThrownBy(() -> loop.execute(() -> {})).isInstanceOf(RejectedExecutionException.class);
  }
}
