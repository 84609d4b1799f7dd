package dev.graceful.quic;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graceful.core.LoopGroup;
import dev.graceful.core.ShutdownException;
import dev.graceful.core.ShutdownSpec;
import java.io.IOException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.scheduler.Scheduler;
import reactor.test.scheduler.VirtualTimeScheduler;
import tech.kwik.core.QuicStream;

/**
 * A connection's own timers outside a shutdown, on the scheduler its options give (R3), and the
 * streams it opens around a shutdown (Q12).
 */
class QuicConnectionTest {
  static LoopGroup loops;
  final VirtualTimeScheduler time = VirtualTimeScheduler.create();

  @BeforeAll
  static void loops() {
    loops = LoopGroup.create(1);
  }

  @AfterAll
  static void stop() {
    loops.shutdown().block(Duration.ofSeconds(10));
  }

  @AfterEach
  void disposeTime() {
    time.dispose();
  }

  static QuicStream stream(int id) {
    return (QuicStream)
        Proxy.newProxyInstance(
            QuicStream.class.getClassLoader(),
            new Class<?>[] {QuicStream.class},
            (proxy, method, args) ->
                switch (method.getName()) {
                  case "getStreamId" -> id;
                  case "isBidirectional" -> true;
                  case "isUnidirectional" -> false;
                  case "hashCode" -> System.identityHashCode(proxy);
                  case "equals" -> proxy == args[0];
                  default -> null;
                });
  }

  /** The virtual clock, telling when something was scheduled on it after a delay. */
  static final class WatchedTimer implements Scheduler {
    final VirtualTimeScheduler time;
    final CompletableFuture<Void> delayed = new CompletableFuture<>();

    WatchedTimer(VirtualTimeScheduler time) {
      this.time = time;
    }

    @Override
    public Disposable schedule(Runnable task) {
      return time.schedule(task);
    }

    @Override
    public Disposable schedule(Runnable task, long delay, TimeUnit unit) {
      Disposable d = time.schedule(task, delay, unit);
      delayed.complete(null);
      return d;
    }

    @Override
    public Disposable schedulePeriodically(
        Runnable task, long initialDelay, long period, TimeUnit unit) {
      return time.schedulePeriodically(task, initialDelay, period, unit);
    }

    @Override
    public long now(TimeUnit unit) {
      return time.now(unit);
    }

    @Override
    public Worker createWorker() {
      return time.createWorker();
    }
  }

  // R3: a stream opened before Kwik accepts streams ("not connected") is retried after a backoff
  // timed by the options' timer: the retry waits on the virtual clock (one attempt so far), and
  // comes as soon as virtual time moves.
  @Tag("R3")
  @Test
  void theStreamOpenRetryRunsOnTheInjectedTimer() throws Exception {
    ScriptedKwik kwik = new ScriptedKwik();
    AtomicInteger calls = new AtomicInteger();
    kwik.streams =
        bidirectional -> {
          if (calls.incrementAndGet() == 1) {
            throw new IOException("not connected");
          }
          return stream(4);
        };
    WatchedTimer timer = new WatchedTimer(time);
    QuicConnection c =
        QuicConnection.of(kwik, loops, "scripted", QuicOptions.defaults().timer(timer));
    var opened = c.openStream().toFuture();
    timer.delayed.get(10, TimeUnit.SECONDS); // the backoff, on the virtual clock
    assertThat(calls).as("no retry before virtual time moves").hasValue(1);
    assertThat(opened).isNotDone();
    time.advanceTimeBy(Duration.ofSeconds(1));
    assertThat(opened.get(10, TimeUnit.SECONDS).streamId()).isEqualTo(4);
    assertThat(calls).hasValue(2);
  }

  // Q12: a stream Kwik creates while a shutdown begins is not handed out behind the close: the
  // open fails with ILLEGAL_STATE, and the stream is reset, so no drain waits for it.
  @Tag("Q12")
  @Test
  void aStreamCreatedWhileTheShutdownBeganIsResetAndRefused() throws Exception {
    ScriptedKwik kwik = new ScriptedKwik();
    CountDownLatch creating = new CountDownLatch(1);
    CountDownLatch shutDown = new CountDownLatch(1);
    List<String> calls = new CopyOnWriteArrayList<>();
    CompletableFuture<Void> reset = new CompletableFuture<>();
    kwik.streams =
        bidirectional -> {
          creating.countDown();
          try {
            shutDown.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          return recording(8, calls, reset);
        };
    QuicConnection c = QuicConnection.of(kwik, loops, "scripted");
    var opened = c.openStream().toFuture();
    assertThat(creating.await(10, TimeUnit.SECONDS)).as("Kwik creates the stream").isTrue();
    c.shutdown(ShutdownSpec.bidirectional().rapid()).block(Duration.ofSeconds(10));
    shutDown.countDown();
    try {
      opened.get(10, TimeUnit.SECONDS);
      throw new AssertionError("a stream was handed out behind the close");
    } catch (ExecutionException e) {
      assertThat(e.getCause())
          .isInstanceOfSatisfying(
              ShutdownException.class,
              refused ->
                  assertThat(refused.reason()).isEqualTo(ShutdownException.Reason.ILLEGAL_STATE));
    }
    reset.get(10, TimeUnit.SECONDS);
    assertThat(calls).containsExactly("resetStream", "abortReading");
  }

  static QuicStream recording(int id, List<String> calls, CompletableFuture<Void> done) {
    return (QuicStream)
        Proxy.newProxyInstance(
            QuicStream.class.getClassLoader(),
            new Class<?>[] {QuicStream.class},
            (proxy, method, args) ->
                switch (method.getName()) {
                  case "getStreamId" -> id;
                  case "isBidirectional" -> true;
                  case "isUnidirectional" -> false;
                  case "resetStream" -> {
                    calls.add("resetStream");
                    yield null;
                  }
                  case "abortReading" -> {
                    calls.add("abortReading");
                    done.complete(null);
                    yield null;
                  }
                  case "hashCode" -> System.identityHashCode(proxy);
                  case "equals" -> proxy == args[0];
                  default -> null;
                });
  }
}
