package dev.graceful.quic;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graceful.core.LoopGroup;
import java.io.IOException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import reactor.test.scheduler.VirtualTimeScheduler;
import tech.kwik.core.QuicStream;

/** A connection's own timers outside a shutdown, on the scheduler its options give (R3). */
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
                  case "hashCode" -> System.identityHashCode(proxy);
                  case "equals" -> proxy == args[0];
                  default -> null;
                });
  }

  // R3: a stream opened before Kwik accepts streams ("not connected") is retried after a backoff
  // timed by the options' timer: no retry while virtual time stands still, one as soon as it moves.
  @Tag("R3")
  @Test
  void theStreamOpenRetryRunsOnTheInjectedTimer() throws Exception {
    ScriptedKwik kwik = new ScriptedKwik();
    Semaphore attempts = new Semaphore(0);
    AtomicInteger calls = new AtomicInteger();
    kwik.streams =
        bidirectional -> {
          attempts.release();
          if (calls.incrementAndGet() == 1) {
            throw new IOException("not connected");
          }
          return stream(4);
        };
    QuicConnection c =
        QuicConnection.of(kwik, loops, "scripted", QuicOptions.defaults().timer(time));
    var opened = c.openStream().toFuture();
    assertThat(attempts.tryAcquire(10, TimeUnit.SECONDS)).as("first attempt").isTrue();
    // on a real clock the retry would come within about 10 ms
    assertThat(attempts.tryAcquire(300, TimeUnit.MILLISECONDS))
        .as("no retry before virtual time moves")
        .isFalse();
    assertThat(opened).isNotDone();
    time.advanceTimeBy(Duration.ofSeconds(1));
    assertThat(opened.get(10, TimeUnit.SECONDS).streamId()).isEqualTo(4);
    assertThat(calls).hasValue(2);
  }
}
