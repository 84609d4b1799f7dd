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

  // R4: whatever a task throws, even an Error, costs only that task: the loop runs the next one.
  @Tag("R4")
  @Test
  void aTaskThrowingAnyThrowableLeavesTheLoopRunning() {
    SelectorLoop loop = SelectorLoop.start("test-loop");
    try {
      loop.execute(
          () -> {
            throw new IllegalStateException("a failing task");
          });
      loop.execute(
          () -> {
            throw new StackOverflowError("a task that recursed too deep");
          });
      loop.execute(
          () -> {
            throw new AssertionError("an Error");
          });
      CompletableFuture<Boolean> alive = new CompletableFuture<>();
      loop.execute(() -> alive.complete(loop.inLoop()));
      assertThat(alive).succeedsWithin(WAIT).isEqualTo(true);
    } finally {
      loop.shutdown().block(WAIT);
    }
  }

  // R4: reporting a failure must not be a failure of its own: with a log handler that throws, a
  // failing task and a failing readiness handler still leave the loop running.
  @Tag("R4")
  @Test
  void aFailingLogDoesNotEndTheLoop() throws Exception {
    java.util.logging.Logger jul = java.util.logging.Logger.getLogger(SelectorLoop.class.getName());
    java.util.logging.Handler throwing =
        new java.util.logging.Handler() {
          @Override
          public void publish(java.util.logging.LogRecord record) {
            throw new IllegalStateException("the log is broken");
          }

          @Override
          public void flush() {}

          @Override
          public void close() {}
        };
    jul.addHandler(throwing);
    SelectorLoop loop = SelectorLoop.start("test-loop");
    java.nio.channels.Pipe pipe = java.nio.channels.Pipe.open();
    try (java.nio.channels.Pipe.SinkChannel sink = pipe.sink();
        java.nio.channels.Pipe.SourceChannel source = pipe.source()) {
      loop.execute(
          () -> {
            throw new IllegalStateException("a failing task");
          });
      source.configureBlocking(false);
      sink.write(java.nio.ByteBuffer.wrap(new byte[] {1})); // the source is readable at once
      CompletableFuture<Boolean> handled = new CompletableFuture<>();
      loop.execute(
          () -> {
            try {
              loop.register(
                      source,
                      k -> {
                        k.interestOps(0);
                        handled.complete(true);
                        throw new IllegalStateException("a failing readiness handler");
                      })
                  .interestOps(java.nio.channels.SelectionKey.OP_READ);
            } catch (java.io.IOException e) {
              handled.completeExceptionally(e);
            }
          });
      assertThat(handled).succeedsWithin(WAIT).isEqualTo(true);
      CompletableFuture<Boolean> alive = new CompletableFuture<>();
      loop.execute(() -> alive.complete(loop.inLoop()));
      assertThat(alive).succeedsWithin(WAIT).isEqualTo(true);
    } finally {
      jul.removeHandler(throwing);
      loop.shutdown().block(WAIT);
    }
  }

  // R4: a task that submits another at once (an application writing in a loop, each write
  // completing on the loop) holds up no other channel of the loop: tasks submitted while the loop
  // runs its tasks wait for the next round, after the loop has looked at readiness.
  @Tag("R4")
  @Test
  void aTaskResubmittingItselfDoesNotStarveReadiness() throws Exception {
    SelectorLoop loop = SelectorLoop.start("test-loop");
    java.nio.channels.Pipe pipe = java.nio.channels.Pipe.open();
    java.util.concurrent.atomic.AtomicBoolean spinning =
        new java.util.concurrent.atomic.AtomicBoolean(true);
    try (java.nio.channels.Pipe.SinkChannel sink = pipe.sink();
        java.nio.channels.Pipe.SourceChannel source = pipe.source()) {
      source.configureBlocking(false);
      CompletableFuture<Boolean> handled = new CompletableFuture<>();
      CompletableFuture<Void> registered = new CompletableFuture<>();
      loop.execute(
          () -> {
            try {
              loop.register(
                      source,
                      k -> {
                        k.interestOps(0);
                        handled.complete(true);
                      })
                  .interestOps(java.nio.channels.SelectionKey.OP_READ);
              registered.complete(null);
            } catch (java.io.IOException e) {
              registered.completeExceptionally(e);
            }
          });
      assertThat(registered).succeedsWithin(WAIT);
      Runnable again =
          new Runnable() {
            @Override
            public void run() {
              if (spinning.get()) {
                loop.execute(this);
              }
            }
          };
      loop.execute(again);
      sink.write(java.nio.ByteBuffer.wrap(new byte[] {1})); // the source is readable now
      assertThat(handled).succeedsWithin(WAIT).isEqualTo(true);
    } finally {
      spinning.set(false);
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
