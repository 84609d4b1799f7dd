package dev.graceful.quic;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graceful.core.CloseInfo;
import dev.graceful.core.DrainStatus;
import dev.graceful.core.Initiator;
import dev.graceful.core.Outcome;
import dev.graceful.core.ShutdownException;
import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.core.ShutdownState;
import dev.graceful.core.spi.ShutdownCoordinator;
import dev.graceful.quic.internal.KwikEngine;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import reactor.core.Exceptions;
import reactor.test.scheduler.VirtualTimeScheduler;
import tech.kwik.core.ConnectionTerminatedEvent;

/**
 * Q1–Q11 as graceful's engine logic: the test thread is the loop and runs Kwik's close calls, a
 * scripted Kwik connection delivers events, and every closing period and deadline runs on virtual
 * time. (What Kwik and ngtcp2 actually put on the wire is proven in the integration tests.)
 */
class KwikEngineTest {
  /** A serial executor the test thread runs. */
  static final class Manual implements Executor {
    private final Queue<Runnable> tasks = new ArrayDeque<>();

    @Override
    public synchronized void execute(Runnable task) {
      tasks.add(task);
    }

    synchronized Runnable poll() {
      return tasks.poll();
    }
  }

  final ScriptedKwik kwik = new ScriptedKwik();
  final Manual loop = new Manual();
  final Manual kwikCalls = new Manual();
  final VirtualTimeScheduler time = VirtualTimeScheduler.create();
  final KwikEngine engine = new KwikEngine(kwik, loop, "scripted", kwikCalls);
  final ShutdownCoordinator coordinator = new ShutdownCoordinator(new QuicShutdownEngine(engine));
  static final Duration PTO3 = Duration.ofMillis(3 * ScriptedKwik.PTO_MS);

  KwikEngineTest() {
    engine.listen();
    pump();
  }

  @AfterEach
  void disposeTime() {
    time.dispose();
  }

  /** Runs the loop and Kwik's calls until both are idle. */
  void pump() {
    for (boolean ran = true; ran; ) {
      ran = false;
      for (Runnable r; (r = loop.poll()) != null; ran = true) {
        r.run();
      }
      for (Runnable r; (r = kwikCalls.poll()) != null; ran = true) {
        r.run();
      }
    }
  }

  void advance(Duration d) {
    time.advanceTimeBy(d);
    pump();
  }

  CompletableFuture<ShutdownResult> start(ShutdownSpec spec) {
    CompletableFuture<ShutdownResult> f = coordinator.shutdown(spec.scheduler(time)).toFuture();
    pump();
    return f;
  }

  static ShutdownException failure(CompletableFuture<?> f) {
    assertThat(f).isCompletedExceptionally();
    try {
      f.join();
      throw new AssertionError("not failed");
    } catch (RuntimeException e) {
      return (ShutdownException) Exceptions.unwrap(e.getCause());
    }
  }

  static ShutdownSpec rfc() {
    return ShutdownSpec.bidirectional().rfc().noStreamFlush();
  }

  // Q1, Q6, R3: one application close with the code and reason; COMPLETE exactly when the closing
  // period (3×PTO) ends on the injected clock, and not a moment before.
  @Tag("Q1")
  @Tag("Q6")
  @Tag("R3")
  @Test
  void rfcCloseCompletesWhenTheClosingPeriodEnds() {
    var f = start(rfc().with(QuicShutdown.defaults().closeWith(7, "bye")));
    assertThat(kwik.closes).containsExactly(new ScriptedKwik.Close(7, "bye"));
    assertThat(engine.state()).isEqualTo(ShutdownState.SENT);
    advance(PTO3.minusMillis(1));
    assertThat(f).isNotDone();
    advance(Duration.ofMillis(1));
    ShutdownResult r = f.join();
    assertThat(r.outcome()).isEqualTo(Outcome.COMPLETE);
    assertThat(r.state()).isEqualTo(ShutdownState.SENT);
    assertThat(r.initiator()).isEqualTo(Initiator.LOCAL);
    assertThat(r.elapsed()).isEqualTo(PTO3);
  }

  // Q1: the defaults are code 0 and an empty reason.
  @Tag("Q1")
  @Test
  void defaultCloseIsCodeZeroWithoutReason() {
    start(rfc());
    assertThat(kwik.closes).containsExactly(new ScriptedKwik.Close(0, ""));
  }

  // Q6: the peer's CONNECTION_CLOSE during the closing period moves us to draining: COMPLETE at
  // once.
  @Tag("Q6")
  @Test
  void peersCloseEndsTheClosingPeriodEarly() {
    var f = start(rfc());
    advance(Duration.ofMillis(10));
    kwik.peerCloses(0, "");
    pump();
    assertThat(f.join().outcome()).isEqualTo(Outcome.COMPLETE);
    assertThat(f.join().state()).isEqualTo(ShutdownState.SENT_AND_RECEIVED);
  }

  // Q7: rapid is SENT right after the close, with no waiting; a later RFC shutdown continues to
  // COMPLETE at the end of the same closing period, without a second close.
  @Tag("Q7")
  @Test
  void rapidIsSentAndALaterRfcShutdownCompletes() {
    var rapid = start(ShutdownSpec.bidirectional().rapid().noStreamFlush());
    assertThat(rapid.join().outcome()).isEqualTo(Outcome.SENT);
    assertThat(rapid.join().elapsed()).isZero();
    var later = start(rfc());
    assertThat(later).isNotDone();
    advance(PTO3);
    assertThat(later.join().outcome()).isEqualTo(Outcome.COMPLETE);
    assertThat(kwik.closes).hasSize(1);
  }

  // Q7: "COMPLETE if already terminated".
  @Tag("Q7")
  @Test
  void rapidOnATerminatedConnectionIsComplete() {
    kwik.terminates(ConnectionTerminatedEvent.CloseReason.IdleTimeout);
    pump();
    var rapid = start(ShutdownSpec.bidirectional().rapid().noStreamFlush());
    assertThat(rapid.join().outcome()).isEqualTo(Outcome.COMPLETE);
    assertThat(kwik.closes).isEmpty();
  }

  // Q8, Q9: wait-peer's non-blocking form answers at once that the peer has not closed; the
  // waiting form completes on the peer's close with its code and reason, initiator PEER.
  @Tag("Q8")
  @Tag("Q9")
  @Test
  void waitPeerSeesThePeersCodeAndReason() {
    var probe =
        start(ShutdownSpec.bidirectional().waitPeer().with(QuicShutdown.defaults().noBlock()));
    assertThat(probe.join()).as("empty: the peer has not closed").isNull();
    var waiting = start(ShutdownSpec.bidirectional().waitPeer().noTimeout());
    advance(Duration.ofHours(1));
    assertThat(waiting).isNotDone();
    kwik.peerCloses(42, "going away");
    pump();
    ShutdownResult r = waiting.join();
    assertThat(r.outcome()).isEqualTo(Outcome.COMPLETE);
    assertThat(r.initiator()).isEqualTo(Initiator.PEER);
    assertThat(r.peerErrorCode()).hasValue(42);
    assertThat(r.peerReason()).hasValue("going away");
    assertThat(r.drained()).isEqualTo(DrainStatus.NOT_DRAINED);
    assertThat(kwik.closes).as("Kwik answers the peer's close itself").isEmpty();
  }

  // Q8: termination for another reason (idle timeout) ends a wait-peer too; Q11: RECEIVED.
  @Tag("Q8")
  @Tag("Q11")
  @Test
  void waitPeerEndsOnIdleTimeout() {
    var waiting = start(ShutdownSpec.bidirectional().waitPeer());
    kwik.terminates(ConnectionTerminatedEvent.CloseReason.IdleTimeout);
    pump();
    ShutdownResult r = waiting.join();
    assertThat(r.outcome()).isEqualTo(Outcome.COMPLETE);
    assertThat(r.state()).isEqualTo(ShutdownState.RECEIVED);
    assertThat(r.initiator()).isEqualTo(Initiator.PEER);
    assertThat(r.peerErrorCode()).isEmpty();
  }

  // Q8: wait-peer has no effect once a local close started: it completes with the closing period.
  @Tag("Q8")
  @Test
  void waitPeerHasNoEffectAfterALocalClose() {
    start(ShutdownSpec.bidirectional().rapid().noStreamFlush());
    var waiting = start(ShutdownSpec.bidirectional().waitPeer());
    advance(PTO3);
    assertThat(waiting.join().outcome()).isEqualTo(Outcome.COMPLETE);
    assertThat(waiting.join().initiator()).isEqualTo(Initiator.LOCAL);
  }

  // R2: a cancelled wait-peer sent nothing and leaves the state as it was.
  @Tag("R2")
  @Test
  void cancelledWaitPeerSendsNothing() {
    var sub =
        coordinator.shutdown(ShutdownSpec.bidirectional().waitPeer().scheduler(time)).subscribe();
    pump();
    sub.dispose();
    pump();
    advance(Duration.ofMinutes(1));
    assertThat(kwik.closes).isEmpty();
    assertThat(engine.state()).isEqualTo(ShutdownState.NONE);
  }

  // Q2: codes outside [0, 2^62−1] are INVALID_ARGUMENT and nothing reaches Kwik (whose sender
  // thread dies on 2^62 and whose frames a negative code corrupts).
  @Tag("Q2")
  @Test
  void outOfRangeCodesSendNothing() {
    for (long code : new long[] {-1, 1L << 62, Long.MAX_VALUE}) {
      ShutdownException e =
          failure(start(rfc().with(QuicShutdown.defaults().closeWith(code, "x"))));
      assertThat(e.reason()).isEqualTo(ShutdownException.Reason.INVALID_ARGUMENT);
      assertThat(e.state()).isEqualTo(ShutdownState.NONE);
    }
    assertThat(kwik.closes).isEmpty();
    assertThat(engine.state()).isEqualTo(ShutdownState.NONE);
    start(rfc().with(QuicShutdown.defaults().closeWith((1L << 62) - 1, "")));
    assertThat(kwik.closes).containsExactly(new ScriptedKwik.Close((1L << 62) - 1, ""));
  }

  // Q3: Kwik is handed a reason that fits one packet, cut at a code-point boundary: 170 "é😀"
  // pairs and one "é" (1,022 bytes); an unpaired surrogate becomes U+FFFD, never invalid UTF-8.
  @Tag("Q3")
  @Test
  void longReasonsAreCutAtACodePoint() {
    start(rfc().with(QuicShutdown.defaults().closeWith(1, "é😀".repeat(1700))));
    String sent = kwik.closes.get(0).reason();
    assertThat(sent.getBytes(StandardCharsets.UTF_8)).hasSize(1022);
    assertThat(sent).isEqualTo("é😀".repeat(170) + "é");
  }

  @Tag("Q3")
  @Test
  void unpairedSurrogatesBecomeReplacementCharacters() {
    start(rfc().with(QuicShutdown.defaults().closeWith(1, "a\uD800b")));
    assertThat(kwik.closes.get(0).reason()).isEqualTo("a\uFFFDb");
  }

  // Q4: the first shutdown's code and reason are the ones sent; later arguments are ignored.
  @Tag("Q4")
  @Test
  void firstShutdownsArgumentsWin() {
    start(
        ShutdownSpec.bidirectional()
            .rapid()
            .noStreamFlush()
            .with(QuicShutdown.defaults().closeWith(5, "first")));
    var second = start(rfc().with(QuicShutdown.defaults().closeWith(6, "second")));
    advance(PTO3);
    assertThat(second.join().outcome()).isEqualTo(Outcome.COMPLETE);
    assertThat(kwik.closes).containsExactly(new ScriptedKwik.Close(5, "first"));
  }

  /** A stream whose data the application acknowledges itself. */
  static KwikEngine.TrackedStream appAcked(boolean[] acked) {
    return new KwikEngine.TrackedStream() {
      @Override
      public Object kwikStream() {
        return this;
      }

      @Override
      public boolean isReset() {
        return false;
      }

      @Override
      public int writesInFlight() {
        return 0;
      }

      @Override
      public boolean applicationAckExpected() {
        return true;
      }

      @Override
      public boolean applicationAcked() {
        return acked[0];
      }
    };
  }

  // Q5: the close waits for the drain; an application acknowledgement completes it (DRAINED),
  // and only then does the CONNECTION_CLOSE go out.
  @Tag("Q5")
  @Test
  void drainWaitsForTheApplicationsAcknowledgement() {
    boolean[] acked = {false};
    loop.execute(() -> engine.track(appAcked(acked)));
    var f = start(ShutdownSpec.bidirectional().rfc().timeout(Duration.ofSeconds(10)));
    advance(Duration.ofSeconds(2));
    assertThat(kwik.closes).as("nothing closes before the data is acknowledged").isEmpty();
    acked[0] = true;
    loop.execute(engine::poke);
    pump();
    assertThat(kwik.closes).hasSize(1);
    advance(PTO3);
    assertThat(f.join().drained()).isEqualTo(DrainStatus.DRAINED);
    assertThat(f.join().outcome()).isEqualTo(Outcome.COMPLETE);
  }

  // Q5: a drain has a deadline: three quarters of the shutdown's, then the close goes out anyway
  // and the result says TIMEOUT. Q5 skipped: noStreamFlush closes at once, NOT_DRAINED.
  @Tag("Q5")
  @Test
  void drainStopsAtItsDeadline() {
    boolean[] never = {false};
    loop.execute(() -> engine.track(appAcked(never)));
    var f = start(ShutdownSpec.bidirectional().rfc().timeout(Duration.ofSeconds(10)));
    advance(Duration.ofMillis(7_499));
    assertThat(kwik.closes).isEmpty();
    advance(Duration.ofMillis(1));
    assertThat(kwik.closes).hasSize(1);
    advance(PTO3);
    assertThat(f.join().drained()).isEqualTo(DrainStatus.TIMEOUT);
    assertThat(f.join().outcome()).isEqualTo(Outcome.COMPLETE);
  }

  @Tag("Q5")
  @Test
  void noStreamFlushClosesAtOnce() {
    boolean[] never = {false};
    loop.execute(() -> engine.track(appAcked(never)));
    var f = start(rfc());
    assertThat(kwik.closes).hasSize(1);
    advance(PTO3);
    assertThat(f.join().drained()).isEqualTo(DrainStatus.NOT_DRAINED);
  }

  // Q9: the non-blocking form takes one step and reports: empty while the closing period runs
  // (the close was sent), COMPLETE once it is over.
  @Tag("Q9")
  @Test
  void noBlockReportsTheCurrentStatus() {
    var first = start(rfc().with(QuicShutdown.defaults().noBlock()));
    assertThat(first.join()).as("would wait for the closing period").isNull();
    assertThat(kwik.closes).hasSize(1);
    advance(PTO3);
    var again = start(rfc().with(QuicShutdown.defaults().noBlock()));
    assertThat(Optional.ofNullable(again.join()).map(ShutdownResult::outcome))
        .hasValue(Outcome.COMPLETE);
  }

  // Q11: the state follows the protocol: NONE, SENT once the close was sent, RECEIVED added by
  // the peer's close.
  @Tag("Q11")
  @Test
  void stateFollowsTheProtocol() {
    assertThat(engine.state()).isEqualTo(ShutdownState.NONE);
    start(ShutdownSpec.bidirectional().rapid().noStreamFlush());
    assertThat(engine.state()).isEqualTo(ShutdownState.SENT);
    kwik.peerCloses(1, "");
    pump();
    assertThat(engine.state()).isEqualTo(ShutdownState.SENT_AND_RECEIVED);
  }

  // QUIC has no quiet shutdown: refused, nothing sent.
  @Test
  void quietIsRefused() {
    assertThat(failure(start(ShutdownSpec.bidirectional().quiet())).reason())
        .isEqualTo(ShutdownException.Reason.INVALID_ARGUMENT);
    assertThat(kwik.closes).isEmpty();
  }

  // Q4: a refused shutdown is no first shutdown: its arguments are not the ones sent later.
  @Tag("Q4")
  @Test
  void aRefusedShutdownFixesNoArguments() {
    failure(
        start(
            ShutdownSpec.bidirectional()
                .quiet()
                .with(QuicShutdown.defaults().closeWith(5, "quiet"))));
    start(rfc().with(QuicShutdown.defaults().closeWith(6, "rfc")));
    assertThat(kwik.closes).containsExactly(new ScriptedKwik.Close(6, "rfc"));
  }

  // Q12: our own close is reported as what went out: local, application, the code and the reason
  // after it was cut to fit; the rapid result carries it too.
  @Tag("Q12")
  @Test
  void ourCloseCarriesTheCodeAndTheFittedReason() {
    var rapid =
        start(
            ShutdownSpec.bidirectional()
                .rapid()
                .noStreamFlush()
                .with(QuicShutdown.defaults().closeWith(7, "é😀".repeat(1700))));
    CloseInfo sent = CloseInfo.application(7, "é😀".repeat(170) + "é", true);
    assertThat(rapid.join().closeInfo()).hasValue(sent);
    var rfc = start(rfc());
    advance(PTO3);
    assertThat(rfc.join().closeInfo()).hasValue(sent);
  }

  // Q12: the peer's close is the peer's: an application close with its code and reason, or a
  // transport close with its transport code (Kwik does not say which frame caused it: 0).
  @Tag("Q12")
  @Test
  void thePeersApplicationCloseIsReportedAsThePeers() {
    var waiting = start(ShutdownSpec.bidirectional().waitPeer());
    kwik.peerCloses(42, "going away");
    pump();
    assertThat(waiting.join().closeInfo()).hasValue(CloseInfo.application(42, "going away", false));
  }

  @Tag("Q12")
  @Test
  void thePeersTransportCloseIsReportedAsATransportClose() {
    var waiting = start(ShutdownSpec.bidirectional().waitPeer());
    kwik.peerClosesWithTransportError(0xa, "bad frame");
    pump();
    ShutdownResult r = waiting.join();
    assertThat(r.closeInfo()).hasValue(CloseInfo.transport(0xa, 0, "bad frame", false));
    assertThat(r.peerErrorCode()).hasValue(0xa);
  }

  // Q8, Q11, Q12: Kwik closing the connection itself (a protocol violation of the peer's it
  // detected) ends a pending peer wait at once, with Kwik's transport close as the close info and
  // both state bits set: its CONNECTION_CLOSE went out, and the connection is over.
  @Tag("Q8")
  @Tag("Q11")
  @Tag("Q12")
  @Test
  void kwiksOwnCloseEndsAPendingPeerWaitAtOnce() {
    var waiting = start(ShutdownSpec.bidirectional().waitPeer().noTimeout());
    kwik.kwikClosesOnTransportError(0xa, "unexpected frame");
    pump();
    assertThat(waiting).isDone();
    ShutdownResult r = waiting.join();
    assertThat(r.outcome()).isEqualTo(Outcome.COMPLETE);
    assertThat(r.state()).isEqualTo(ShutdownState.SENT_AND_RECEIVED);
    assertThat(engine.state()).isEqualTo(ShutdownState.SENT_AND_RECEIVED);
    assertThat(r.closeInfo()).hasValue(CloseInfo.transport(0xa, 0, "unexpected frame", true));
    assertThat(kwik.closes).isEmpty();
  }

  // Q5, Q12: the same during a drain: it ends at once, not at its deadline, NOT_DRAINED, and
  // graceful sends no close of its own.
  @Tag("Q5")
  @Tag("Q12")
  @Test
  void kwiksOwnCloseEndsAPendingDrainAtOnce() {
    boolean[] never = {false};
    loop.execute(() -> engine.track(appAcked(never)));
    var f = start(ShutdownSpec.bidirectional().rfc().timeout(Duration.ofSeconds(10)));
    advance(Duration.ofMillis(100));
    kwik.kwikClosesOnTransportError(0x3, "flow control");
    pump();
    assertThat(f).isDone();
    ShutdownResult r = f.join();
    assertThat(r.drained()).isEqualTo(DrainStatus.NOT_DRAINED);
    assertThat(r.closeInfo()).hasValue(CloseInfo.transport(0x3, 0, "flow control", true));
    assertThat(r.elapsed()).isEqualTo(Duration.ofMillis(100));
    assertThat(kwik.closes).isEmpty();
  }

  // Q8, Q12: endings without any CONNECTION_CLOSE carry a transport close with code 0 that names
  // them: an idle timeout is this side's timer, a stateless reset the peer's packet.
  @Tag("Q8")
  @Tag("Q12")
  @Test
  void idleTimeoutIsALocalTransportEnding() {
    var waiting = start(ShutdownSpec.bidirectional().waitPeer());
    kwik.terminates(ConnectionTerminatedEvent.CloseReason.IdleTimeout);
    pump();
    assertThat(waiting.join().closeInfo())
        .hasValue(CloseInfo.transport(0, 0, "idle timeout", true));
  }

  @Tag("Q8")
  @Tag("Q12")
  @Test
  void statelessResetIsThePeersTransportEnding() {
    var waiting = start(ShutdownSpec.bidirectional().waitPeer());
    kwik.terminates(ConnectionTerminatedEvent.CloseReason.StatelessReset);
    pump();
    ShutdownResult r = waiting.join();
    assertThat(r.closeInfo()).hasValue(CloseInfo.transport(0, 0, "stateless reset", false));
    assertThat(r.state()).isEqualTo(ShutdownState.RECEIVED);
  }

  // Q12: a shutdown whose deadline comes after our close went out fails with TIMEOUT carrying our
  // close.
  @Tag("Q12")
  @Test
  void aTimeoutAfterTheCloseCarriesIt() {
    var f =
        start(
            ShutdownSpec.bidirectional()
                .rfc()
                .noStreamFlush()
                .timeout(Duration.ofMillis(10))
                .with(QuicShutdown.defaults().closeWith(3, "late")));
    advance(Duration.ofMillis(10));
    ShutdownException e = failure(f);
    assertThat(e.reason()).isEqualTo(ShutdownException.Reason.TIMEOUT);
    assertThat(e.closeInfo()).hasValue(CloseInfo.application(3, "late", true));
  }

  // Q12: the peer's close that came first stays the close info, whatever a later shutdown of ours
  // asks for (it sends nothing).
  @Tag("Q12")
  @Tag("Q7")
  @Test
  void afterThePeersCloseOurShutdownReportsThePeersClose() {
    kwik.peerCloses(0, "done");
    pump();
    var rapid =
        start(
            ShutdownSpec.bidirectional()
                .rapid()
                .with(QuicShutdown.defaults().closeWith(9, "ours")));
    assertThat(rapid.join().outcome()).isEqualTo(Outcome.COMPLETE);
    assertThat(rapid.join().closeInfo()).hasValue(CloseInfo.application(0, "done", false));
    assertThat(kwik.closes).isEmpty();
  }

  // R3: the send watch runs on the injected timer: each look comes when virtual time reaches it.
  @Tag("R3")
  @Test
  void theSendWatchRunsOnTheInjectedTimer() {
    Manual watchLoop = new Manual();
    KwikEngine watched = new KwikEngine(kwik, watchLoop, "watched", kwikCalls, time);
    int[] looks = {0};
    watchLoop.execute(
        () ->
            watched.track(
                new KwikEngine.TrackedStream() {
                  @Override
                  public Object kwikStream() {
                    return this;
                  }

                  @Override
                  public boolean isReset() {
                    return false;
                  }

                  @Override
                  public int writesInFlight() {
                    looks[0]++;
                    return 1; // a write that does not return: the watch goes on looking
                  }
                }));
    watchLoop.execute(watched::sending);
    for (Runnable r; (r = watchLoop.poll()) != null; ) {
      r.run();
    }
    assertThat(watched.watching()).isTrue();
    for (int i = 1; i <= 3; i++) {
      time.advanceTimeBy(Duration.ofMillis(10));
      for (Runnable r; (r = watchLoop.poll()) != null; ) {
        r.run();
      }
      assertThat(looks[0]).as("look %d comes with virtual time", i).isEqualTo(i);
    }
  }
}
