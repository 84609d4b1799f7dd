package dev.graceful.core.spi.loop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graceful.core.testkit.CountingScheduler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.test.scheduler.VirtualTimeScheduler;

/**
 * R3: a loop's shutdown deadlines run on the injected clock, exactly at their instant, and share
 * one scheduled task per clock.
 */
@Tag("R3")
class LoopDeadlinesTest {
  static final Duration WAIT = Duration.ofSeconds(10);
  static final long SECOND = 1_000_000_000L;

  SelectorLoop loop;
  VirtualTimeScheduler vts;
  CountingScheduler clock;

  @BeforeEach
  void start() {
    loop = SelectorLoop.start("deadlines-test");
    vts = VirtualTimeScheduler.create();
    clock = new CountingScheduler(vts);
  }

  @AfterEach
  void stop() {
    loop.shutdown().block(WAIT);
    vts.dispose();
  }

  /** Runs {@code body} on the loop and returns its value. */
  <T> T onLoop(Supplier<T> body) throws Exception {
    CompletableFuture<T> f = new CompletableFuture<>();
    loop.execute(
        () -> {
          try {
            f.complete(body.get());
          } catch (RuntimeException e) {
            f.completeExceptionally(e);
          }
        });
    return f.get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  /**
   * Moves the virtual clock from the loop thread, so that the loop never reads an instant in the
   * middle of the move; then lets the loop run what the move queued.
   */
  void advance(Duration by) throws Exception {
    onLoop(
        () -> {
          vts.advanceTimeBy(by);
          return null;
        });
    settle();
  }

  /** Waits until the loop has run every task submitted before (deadline hops included). */
  void settle() throws Exception {
    onLoop(() -> null);
  }

  // R3: a deadline fires on the loop thread at its instant on the injected clock, not a nanosecond
  // before.
  @Test
  void deadlineFiresExactlyAtItsInstantOnTheLoop() throws Exception {
    CompletableFuture<Boolean> fired = new CompletableFuture<>();
    onLoop(() -> loop.deadline(clock, 30 * SECOND, () -> fired.complete(loop.inLoop()), e -> {}));
    advance(Duration.ofNanos(30 * SECOND - 1));
    assertThat(fired).isNotDone();
    advance(Duration.ofNanos(1));
    assertThat(fired.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
  }

  // R3 at scale: 1,000 deadlines of one length arm the scheduler once, not 1,000 times; the ones
  // withdrawn never fire, the others all fire at their instant.
  @Test
  void deadlinesOfOneClockShareOneScheduledTask() throws Exception {
    AtomicInteger fired = new AtomicInteger();
    List<Disposable> handles =
        onLoop(
            () -> {
              List<Disposable> hs = new ArrayList<>();
              for (int i = 0; i < 1000; i++) {
                hs.add(loop.deadline(clock, 30 * SECOND + i, fired::incrementAndGet, e -> {}));
              }
              for (int i = 0; i < 1000; i += 2) {
                hs.get(i).dispose(); // the earliest among them, too
              }
              return hs;
            });
    assertThat(clock.scheduled.get()).isEqualTo(1);
    assertThat(handles.get(0).isDisposed()).isTrue();
    advance(Duration.ofNanos(30 * SECOND + 998));
    assertThat(fired.get()).isEqualTo(499);
    advance(Duration.ofNanos(1));
    assertThat(fired.get()).isEqualTo(500);
    assertThat(clock.scheduled.get()).isEqualTo(2); // armed once, re-armed once for the last
  }

  // R3: a deadline earlier than the armed one re-arms the clock for itself.
  @Test
  void anEarlierDeadlineFiresFirst() throws Exception {
    List<String> order = new java.util.concurrent.CopyOnWriteArrayList<>();
    onLoop(
        () -> {
          loop.deadline(clock, 30 * SECOND, () -> order.add("30 s"), e -> {});
          return loop.deadline(clock, 10 * SECOND, () -> order.add("10 s"), e -> {});
        });
    advance(Duration.ofSeconds(10));
    assertThat(order).containsExactly("10 s");
    advance(Duration.ofSeconds(20));
    assertThat(order).containsExactly("10 s", "30 s");
  }

  // R3: deadlines of several lengths, added in and out of order and some withdrawn (from the head,
  // the middle and the tail of the in-order run, and from among the out-of-order ones), fire in the
  // order of their instants, each exactly at its instant.
  @Test
  void mixedLengthsFireInInstantOrder() throws Exception {
    List<Long> firedAt = new java.util.concurrent.CopyOnWriteArrayList<>();
    long[] instants = {5, 7, 7, 9, 3, 12, 4, 8, 20, 1, 15, 6};
    java.util.Set<Integer> withdrawn = java.util.Set.of(0, 2, 8, 6, 11);
    onLoop(
        () -> {
          List<Disposable> hs = new ArrayList<>();
          for (long at : instants) {
            hs.add(
                loop.deadline(
                    clock,
                    at * SECOND,
                    () -> firedAt.add(clock.now(TimeUnit.NANOSECONDS)),
                    e -> {}));
          }
          withdrawn.forEach(i -> hs.get(i).dispose());
          return null;
        });
    List<Long> expected = new ArrayList<>();
    for (int i = 0; i < instants.length; i++) {
      if (!withdrawn.contains(i)) {
        expected.add(instants[i] * SECOND);
      }
    }
    expected.sort(null);
    for (long second = 1; second <= 20; second++) {
      advance(Duration.ofSeconds(1));
      long now = second * SECOND;
      assertThat(firedAt)
          .as("at %d s", second)
          .containsExactlyElementsOf(expected.stream().filter(t -> t <= now).toList());
    }
  }

  // A clock that refuses to time a deadline: refused at once, the caller gets the exception and
  // nothing is kept; refused later (disposed while deadlines wait), each waiting one is told.
  @Test
  void aRefusingClockIsReportedNotSilentlyDropped() throws Exception {
    clock.refusing = true;
    assertThatThrownBy(() -> onLoop(() -> loop.deadline(clock, SECOND, () -> {}, e -> {})))
        .hasCauseInstanceOf(RejectedExecutionException.class);
    clock.refusing = false;

    AtomicReference<String> first = new AtomicReference<>();
    AtomicReference<RuntimeException> second = new AtomicReference<>();
    onLoop(
        () -> {
          loop.deadline(clock, 10 * SECOND, () -> first.set("fired"), e -> first.set("refused"));
          return loop.deadline(clock, 20 * SECOND, () -> second.set(null), second::set);
        });
    clock.refusing = true;
    advance(Duration.ofSeconds(10));
    assertThat(first.get()).isEqualTo("fired");
    assertThat(second.get()).isInstanceOf(RejectedExecutionException.class);
  }

  // A loop that shuts down with deadlines pending tells each of them, so that no shutdown waits
  // forever on a loop that is gone.
  @Test
  void aLoopShuttingDownRefusesItsPendingDeadlines() throws Exception {
    CompletableFuture<RuntimeException> refused = new CompletableFuture<>();
    AtomicInteger fired = new AtomicInteger();
    onLoop(() -> loop.deadline(clock, 30 * SECOND, fired::incrementAndGet, refused::complete));
    loop.shutdown().block(WAIT);
    assertThat(refused.get(WAIT.toSeconds(), TimeUnit.SECONDS))
        .isInstanceOf(RejectedExecutionException.class)
        .hasMessageContaining("is shut down");
    vts.advanceTimeBy(Duration.ofSeconds(30));
    assertThat(fired.get()).isZero();
  }
}
