package dev.graceful.netty.quic.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graceful.core.CloseInfo;
import dev.graceful.core.DrainStatus;
import dev.graceful.core.Outcome;
import dev.graceful.core.ShutdownException;
import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.core.ShutdownState;
import dev.graceful.core.spi.ShutdownCoordinator;
import dev.graceful.quic.QuicShutdown;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import reactor.core.Exceptions;
import reactor.test.scheduler.VirtualTimeScheduler;

/**
 * The timers of the Netty engine on virtual time: the closing period it times itself (Netty's codec
 * has none), a drain's share of the deadline, and a deadline that ends a shutdown. The test thread
 * runs the channel's loop; what reaches the wire is proven by {@code QuicBackendsIT}.
 */
class NettyQuicEngineTest {
  /** quiche's RTT on the scripted path. */
  static final Duration RTT = Duration.ofMillis(10);

  /** RFC 9002 §6.2.1 with rttvar = rtt/2 and 25 ms of max_ack_delay: 10 + 20 + 25 ms. */
  static final Duration PTO = Duration.ofMillis(55);

  final ScriptedQuicChannel quic = new ScriptedQuicChannel(RTT.toNanos());
  final NettyQuicEngine engine = new NettyQuicEngine(quic.channel, "scripted");
  final ShutdownCoordinator coordinator = new ShutdownCoordinator(engine);
  final VirtualTimeScheduler time = VirtualTimeScheduler.create();

  NettyQuicEngineTest() {
    engine.listen();
    quic.pump();
  }

  @AfterEach
  void dispose() {
    time.dispose();
    quic.embedded.finishAndReleaseAll();
  }

  CompletableFuture<ShutdownResult> start(ShutdownSpec spec) {
    CompletableFuture<ShutdownResult> f = coordinator.shutdown(spec.scheduler(time)).toFuture();
    quic.pump();
    return f;
  }

  /** Advances virtual time a millisecond at a time, running the loop after each step. */
  void advance(Duration d) {
    for (long ms = 0; ms < d.toMillis(); ms++) {
      time.advanceTimeBy(Duration.ofMillis(1));
      quic.pump();
    }
  }

  static ShutdownSpec closeWith(long code, String reason) {
    return ShutdownSpec.bidirectional().with(QuicShutdown.defaults().closeWith(code, reason));
  }

  static ShutdownException failure(CompletableFuture<?> f) {
    assertThat(f).isCompletedExceptionally();
    try {
      f.join();
      throw new AssertionError("not failed");
    } catch (CompletionException e) {
      return (ShutdownException) Exceptions.unwrap(e.getCause());
    }
  }

  // Q6, R3: the RFC close goes out at once and the shutdown answers COMPLETE when three PTOs,
  // estimated from quiche's RTT, have passed on the injected clock, and not a moment before.
  @Tag("Q6")
  @Tag("R3")
  @Test
  void rfcCloseCompletesThreePtosAfterTheClose() {
    CompletableFuture<ShutdownResult> f = start(closeWith(7, "bye").noStreamFlush());
    assertThat(quic.closes).containsExactly(new ScriptedQuicChannel.Close(true, 7, "bye"));
    assertThat(engine.state()).isEqualTo(ShutdownState.SENT);

    advance(PTO.multipliedBy(3).minusMillis(1));
    assertThat(f).as("still in the closing period").isNotDone();
    advance(Duration.ofMillis(1));

    assertThat(f).isDone();
    ShutdownResult r = f.join();
    assertThat(r.outcome()).isEqualTo(Outcome.COMPLETE);
    assertThat(r.elapsed()).isEqualTo(PTO.multipliedBy(3));
    assertThat(quic.closes).hasSize(1);
  }

  // Q7, R3: the closing period runs from the close, whoever waits for it: an RFC shutdown after a
  // rapid one ends three PTOs after the rapid close, and sends nothing more.
  @Tag("Q7")
  @Tag("R3")
  @Test
  void closingPeriodRunsFromTheRapidClose() {
    CompletableFuture<ShutdownResult> first = start(closeWith(5, "rapid").rapid().noStreamFlush());
    assertThat(first).isDone();
    ShutdownResult rapid = first.join();
    assertThat(rapid.outcome()).isEqualTo(Outcome.SENT);
    advance(Duration.ofMillis(100));

    CompletableFuture<ShutdownResult> rfc = start(ShutdownSpec.bidirectional().rfc());
    advance(PTO.multipliedBy(3).minusMillis(101));
    assertThat(rfc).isNotDone();
    advance(Duration.ofMillis(1));

    assertThat(rfc).isDone();
    assertThat(rfc.join().outcome()).isEqualTo(Outcome.COMPLETE);
    assertThat(quic.closes).containsExactly(new ScriptedQuicChannel.Close(true, 5, "rapid"));
  }

  // Q5, R3: a drain that cannot end (an application acknowledgement that never comes) stops at
  // 75 % of the deadline with TIMEOUT, and only then does the close go out.
  @Tag("Q5")
  @Tag("R3")
  @Test
  void drainStopsAtThreeQuartersOfTheDeadlineThenCloses() {
    engine.track(new AwaitingAck(1000));
    CompletableFuture<ShutdownResult> f =
        start(closeWith(3, "late").rapid().timeout(Duration.ofSeconds(2)));

    advance(Duration.ofMillis(1499));
    assertThat(quic.closes).as("still draining").isEmpty();
    assertThat(f).isNotDone();
    advance(NettyQuicEngine.POLL.plusMillis(1));

    assertThat(f).isDone();
    ShutdownResult r = f.join();
    assertThat(r.drained()).isEqualTo(DrainStatus.TIMEOUT);
    assertThat(r.outcome()).isEqualTo(Outcome.SENT);
    assertThat(r.truncationRisk()).isTrue();
    assertThat(quic.closes).containsExactly(new ScriptedQuicChannel.Close(true, 3, "late"));
  }

  // R3, Q12: a deadline shorter than the closing period ends the shutdown with TIMEOUT at the
  // deadline, and the error says how the connection was closed: our application close.
  @Tag("R3")
  @Tag("Q12")
  @Test
  void deadlineInTheClosingPeriodFailsWithTheCloseInformation() {
    CompletableFuture<ShutdownResult> f =
        start(closeWith(9, "soon").noStreamFlush().timeout(Duration.ofMillis(100)));
    advance(Duration.ofMillis(99));
    assertThat(f).isNotDone();
    advance(Duration.ofMillis(1));

    ShutdownException e = failure(f);
    assertThat(e.reason()).isEqualTo(ShutdownException.Reason.TIMEOUT);
    assertThat(e.state()).isEqualTo(ShutdownState.SENT);
    assertThat(e.closeInfo()).hasValue(CloseInfo.application(9, "soon", true));
  }

  /** A stream whose data the application acknowledges, and never does. */
  private record AwaitingAck(long bytesWritten) implements NettyQuicEngine.TrackedStream {
    @Override
    public long streamId() {
      return 2;
    }

    @Override
    public boolean isReset() {
      return false;
    }

    @Override
    public boolean concluded() {
      return false;
    }

    @Override
    public int writesPending() {
      return 0;
    }

    @Override
    public boolean applicationAckExpected() {
      return true;
    }

    @Override
    public boolean applicationAcked() {
      return false;
    }
  }
}
