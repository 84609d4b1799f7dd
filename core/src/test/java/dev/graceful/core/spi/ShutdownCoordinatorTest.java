package dev.graceful.core.spi;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graceful.core.Outcome;
import dev.graceful.core.ShutdownException;
import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.core.ShutdownState;
import dev.graceful.core.spi.loop.SelectorLoop;
import dev.graceful.core.testkit.CountingScheduler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;
import reactor.test.publisher.PublisherProbe;
import reactor.test.scheduler.VirtualTimeScheduler;

/**
 * The core's exchange machinery with an engine that models only the two close messages (the core
 * knows nothing of TLS; the TLS module's tests use real engines).
 */
class ShutdownCoordinatorTest {

  /** A protocol's no-block option, as QUIC's is, for {@link TwoMessageEngine}. */
  record OneStep() implements ShutdownSpec.ProtocolOption {}

  /** Sends once when asked; completes when told the peer answered. Runs inline. */
  static class TwoMessageEngine implements ShutdownEngine {
    ShutdownState state = ShutdownState.NONE;
    int sends;
    boolean peerAnswered;
    final List<Runnable> waiting = new ArrayList<>();
    int cancels;
    Executor executor = Runnable::run;

    @Override
    public String connectionId() {
      return "test";
    }

    @Override
    public Executor executor() {
      return executor;
    }

    @Override
    public ShutdownState state() {
      return state;
    }

    @Override
    public Step step(ShutdownRequest request) throws ShutdownException {
      if (request.mode() == dev.graceful.core.ShutdownMode.WAIT_PEER && !peerAnswered) {
        return Step.WANT_READ; // wait-peer sends nothing before the peer closed
      }
      if (!state.sent()) {
        state = state.with(ShutdownState.SENT);
        sends++;
      }
      if (peerAnswered) {
        state = state.with(ShutdownState.RECEIVED);
        return Step.COMPLETE;
      }
      return request.mode() == dev.graceful.core.ShutdownMode.FAST ? Step.SENT : Step.WANT_READ;
    }

    /** Honours {@link OneStep}, as an engine of a protocol with SSL_SHUTDOWN_FLAG_NO_BLOCK does. */
    @Override
    public boolean noBlock(ShutdownRequest request) {
      return request.option(OneStep.class).isPresent();
    }

    @Override
    public void awaitReadiness(Step want, Runnable onReady) {
      waiting.add(onReady);
    }

    @Override
    public void cancelReadiness(Runnable onReady) {
      waiting.remove(onReady);
      cancels++;
    }

    @Override
    public void closeTransport() {}

    @Override
    public ShutdownResult.Builder describe() {
      return ShutdownResult.builder("test").state(state);
    }

    void answer() {
      peerAnswered = true;
      List<Runnable> w = new ArrayList<>(waiting);
      waiting.clear();
      w.forEach(Runnable::run);
    }
  }

  // R2, T12: one of two subscribers cancels; the other keeps the shared exchange running.
  @Tag("T12")
  @Tag("R2")
  @Test
  void oneSubscriberCancellingLeavesTheOtherRunning() {
    TwoMessageEngine engine = new TwoMessageEngine();
    ShutdownCoordinator c = new ShutdownCoordinator(engine);
    Mono<ShutdownResult> m = c.shutdown(ShutdownSpec.bidirectional().noTimeout());
    Disposable first = m.subscribe();
    var second = m.toFuture();
    first.dispose();
    assertThat(engine.cancels).isZero();
    engine.answer();
    assertThat(second.join().outcome()).isEqualTo(Outcome.COMPLETE);
    assertThat(engine.sends).isEqualTo(1);
  }

  // R2: when every subscriber cancels, the exchange stops and deregisters; a later one resumes.
  @Tag("T12")
  @Tag("R2")
  @Test
  void lastSubscriberCancellingStopsTheExchange() {
    TwoMessageEngine engine = new TwoMessageEngine();
    ShutdownCoordinator c = new ShutdownCoordinator(engine);
    ShutdownSpec spec = ShutdownSpec.bidirectional().noTimeout();
    Disposable a = c.shutdown(spec).subscribe();
    Disposable b = c.shutdown(spec).subscribe();
    a.dispose();
    b.dispose();
    assertThat(engine.waiting).isEmpty();
    assertThat(engine.state).isEqualTo(ShutdownState.SENT);
    var again = c.shutdown(spec).toFuture();
    engine.answer();
    assertThat(again.join().outcome()).isEqualTo(Outcome.COMPLETE);
    assertThat(engine.sends).isEqualTo(1);
  }

  // T12: a different spec waits for the running exchange, then continues from its state.
  @Tag("T12")
  @Test
  void differentSpecQueuesBehindTheRunningExchange() {
    TwoMessageEngine engine = new TwoMessageEngine();
    ShutdownCoordinator c = new ShutdownCoordinator(engine);
    var waiting = c.shutdown(ShutdownSpec.bidirectional().noTimeout()).toFuture();
    var fast = c.shutdown(ShutdownSpec.bidirectional().fast()).toFuture();
    assertThat(fast).isNotDone();
    engine.answer();
    assertThat(waiting.join().outcome()).isEqualTo(Outcome.COMPLETE);
    assertThat(fast.join().outcome()).isEqualTo(Outcome.COMPLETE);
  }

  // T12, R3: a spec queued behind a running exchange keeps its own deadline, counted from its own
  // subscription: fast().timeout(1s) behind a 10 s bidirectional on a silent peer ends at 1 s.
  @Tag("T12")
  @Tag("R3")
  @Test
  void queuedSpecTimesOutAtItsOwnDeadline() {
    VirtualTimeScheduler virtual = VirtualTimeScheduler.create();
    CountingScheduler time = new CountingScheduler(virtual);
    try {
      TwoMessageEngine engine = new TwoMessageEngine();
      ShutdownCoordinator c = new ShutdownCoordinator(engine);
      var running = c.shutdown(ShutdownSpec.bidirectional().scheduler(time)).toFuture();
      virtual.advanceTimeBy(Duration.ofSeconds(2));
      var queued =
          c.shutdown(
                  ShutdownSpec.bidirectional()
                      .fast()
                      .timeout(Duration.ofSeconds(1))
                      .scheduler(time))
              .toFuture();
      virtual.advanceTimeBy(Duration.ofMillis(999));
      assertThat(queued).isNotDone();
      virtual.advanceTimeBy(Duration.ofMillis(1));
      assertThat(queued)
          .failsWithin(Duration.ZERO)
          .withThrowableThat()
          .havingCause()
          .isInstanceOfSatisfying(
              ShutdownException.class,
              e -> {
                assertThat(e.reason()).isEqualTo(ShutdownException.Reason.TIMEOUT);
                assertThat(e).hasMessageContaining("PT1S").hasMessageContaining("behind");
              });
      assertThat(running).as("the running exchange is not disturbed").isNotDone();
      virtual.advanceTimeBy(Duration.ofSeconds(7));
      assertThat(running).isCompletedExceptionally(); // its own 10 s deadline
      assertThat(engine.sends).isEqualTo(1);
      assertThat(engine.waiting).isEmpty();
      assertThat(time.pending).as("no timer left behind").hasValue(0);
    } finally {
      virtual.dispose();
    }
  }

  // T12, T14: a queued spec that settles at its deadline settles as SENT once our close went out,
  // even though it never got its turn.
  @Tag("T12")
  @Tag("T14")
  @Test
  void queuedSpecSettlesAtItsOwnDeadline() {
    VirtualTimeScheduler time = VirtualTimeScheduler.create();
    try {
      TwoMessageEngine engine = new TwoMessageEngine();
      ShutdownCoordinator c = new ShutdownCoordinator(engine);
      c.shutdown(ShutdownSpec.bidirectional().noTimeout().scheduler(time)).subscribe();
      var queued =
          c.shutdown(
                  ShutdownSpec.bidirectional()
                      .waitPeer()
                      .timeout(Duration.ofSeconds(3))
                      .settleAtDeadline()
                      .scheduler(time))
              .toFuture();
      time.advanceTimeBy(Duration.ofSeconds(3));
      ShutdownResult r = queued.getNow(null);
      assertThat(r).isNotNull();
      assertThat(r.outcome()).isEqualTo(Outcome.SENT);
      assertThat(r.deadlineReached()).isTrue();
      assertThat(r.elapsed()).isEqualTo(Duration.ofSeconds(3));
    } finally {
      time.dispose();
    }
  }

  // T12, R2: a queued spec whose turn comes before its deadline runs with what is left of it, and
  // its queue timer is withdrawn; cancelling a queued spec withdraws its timer too.
  @Tag("T12")
  @Tag("R2")
  @Test
  void queuedSpecRunsWithWhatIsLeftOfItsDeadline() {
    VirtualTimeScheduler virtual = VirtualTimeScheduler.create();
    CountingScheduler time = new CountingScheduler(virtual);
    try {
      TwoMessageEngine engine = new TwoMessageEngine();
      ShutdownCoordinator c = new ShutdownCoordinator(engine);
      // a wait-peer exchange that never ends by itself, then a bidirectional one queued behind it
      Disposable first =
          c.shutdown(ShutdownSpec.bidirectional().waitPeer().noTimeout().scheduler(time))
              .subscribe();
      Disposable cancelled =
          c.shutdown(
                  ShutdownSpec.bidirectional()
                      .fast()
                      .timeout(Duration.ofSeconds(30))
                      .scheduler(time))
              .subscribe();
      var queued =
          c.shutdown(ShutdownSpec.bidirectional().timeout(Duration.ofSeconds(5)).scheduler(time))
              .toFuture();
      cancelled.dispose();
      assertThat(time.pending).as("only the queued spec's timer").hasValue(1);
      virtual.advanceTimeBy(Duration.ofSeconds(2));
      first.dispose(); // the running exchange ends: the queued one starts, 3 s of its deadline left
      assertThat(engine.sends).isEqualTo(1);
      virtual.advanceTimeBy(Duration.ofMillis(2_999));
      assertThat(queued).isNotDone();
      virtual.advanceTimeBy(Duration.ofMillis(1));
      assertThat(queued).isCompletedExceptionally();
      assertThat(time.pending).hasValue(0);
    } finally {
      virtual.dispose();
    }
  }

  // R1: nothing happens before subscription, and a probe sees exactly one subscription per use.
  @Tag("R1")
  @Test
  void coldUntilSubscribed() {
    TwoMessageEngine engine = new TwoMessageEngine();
    ShutdownCoordinator c = new ShutdownCoordinator(engine);
    PublisherProbe<ShutdownResult> probe =
        PublisherProbe.of(c.shutdown(ShutdownSpec.bidirectional().fast()));
    assertThat(engine.sends).isZero();
    StepVerifier.create(probe.mono())
        .assertNext(r -> assertThat(r.outcome()).isEqualTo(Outcome.SENT))
        .expectComplete()
        .verify(Duration.ofSeconds(5));
    probe.assertWasSubscribed();
    assertThat(engine.sends).isEqualTo(1);
  }

  // R3: the deadline runs on the injected (virtual) clock; the error carries the state.
  @Tag("R3")
  @Test
  void deadlineRunsOnVirtualTime() {
    TwoMessageEngine engine = new TwoMessageEngine();
    ShutdownCoordinator c = new ShutdownCoordinator(engine);
    StepVerifier.withVirtualTime(
            () -> c.shutdown(ShutdownSpec.bidirectional().timeout(Duration.ofSeconds(30))))
        .expectSubscription()
        .expectNoEvent(Duration.ofMillis(29_999))
        .thenAwait(Duration.ofMillis(1))
        .expectErrorSatisfies(
            e ->
                assertThat(e)
                    .isInstanceOfSatisfying(
                        ShutdownException.class,
                        s -> {
                          assertThat(s.reason()).isEqualTo(ShutdownException.Reason.TIMEOUT);
                          assertThat(s.state()).isEqualTo(ShutdownState.SENT);
                        }))
        .verify(Duration.ofSeconds(5));
    assertThat(engine.waiting).isEmpty();
  }

  // T14: settleAtDeadline ends with SENT and deadlineReached once our close went out...
  @Tag("T14")
  @Tag("R3")
  @Test
  void settleAtDeadlineEndsAsSentOnceOurCloseWentOut() {
    TwoMessageEngine engine = new TwoMessageEngine();
    ShutdownCoordinator c = new ShutdownCoordinator(engine);
    StepVerifier.withVirtualTime(
            () ->
                c.shutdown(
                    ShutdownSpec.bidirectional().timeout(Duration.ofSeconds(3)).settleAtDeadline()))
        .expectSubscription()
        .expectNoEvent(Duration.ofMillis(2_999))
        .thenAwait(Duration.ofMillis(1))
        .assertNext(
            r -> {
              assertThat(r.outcome()).isEqualTo(Outcome.SENT);
              assertThat(r.deadlineReached()).isTrue();
              assertThat(r.elapsed()).isEqualTo(Duration.ofSeconds(3));
            })
        .expectComplete()
        .verify(java.time.Duration.ofSeconds(10));
    assertThat(engine.waiting).isEmpty();
  }

  // ...and is still a TIMEOUT error when nothing was sent (wait-peer whose peer never closed).
  @Tag("T14")
  @Tag("R3")
  @Test
  void settleAtDeadlineBeforeSendingIsTimeout() {
    TwoMessageEngine engine = new TwoMessageEngine();
    ShutdownCoordinator c = new ShutdownCoordinator(engine);
    StepVerifier.withVirtualTime(
            () ->
                c.shutdown(
                    ShutdownSpec.bidirectional()
                        .waitPeer()
                        .timeout(Duration.ofSeconds(3))
                        .settleAtDeadline()))
        .expectSubscription()
        .thenAwait(Duration.ofSeconds(3))
        .expectErrorSatisfies(
            e ->
                assertThat(((ShutdownException) e).reason())
                    .isEqualTo(ShutdownException.Reason.TIMEOUT))
        .verify(Duration.ofSeconds(5));
    assertThat(engine.sends).isZero();
  }

  // Q9 (and SSL_SHUTDOWN_FLAG_NO_BLOCK in general): one step, then the answer, never a wait.
  @Tag("Q9")
  @Test
  void noBlockAnswersAfterOneStep() {
    TwoMessageEngine engine = new TwoMessageEngine();
    ShutdownCoordinator c = new ShutdownCoordinator(engine);
    StepVerifier.create(c.shutdown(ShutdownSpec.bidirectional().with(new OneStep())))
        .expectComplete() // not yet: empty
        .verify(Duration.ofSeconds(5));
    assertThat(engine.state).isEqualTo(ShutdownState.SENT);
    assertThat(engine.waiting).isEmpty();
    StepVerifier.create(c.shutdown(ShutdownSpec.bidirectional().fast().with(new OneStep())))
        .assertNext(r -> assertThat(r.outcome()).isEqualTo(Outcome.SENT))
        .expectComplete()
        .verify(Duration.ofSeconds(5));
    engine.peerAnswered = true;
    StepVerifier.create(c.shutdown(ShutdownSpec.bidirectional().with(new OneStep())))
        .assertNext(r -> assertThat(r.outcome()).isEqualTo(Outcome.COMPLETE))
        .expectComplete()
        .verify(Duration.ofSeconds(5));
    assertThat(engine.sends).isEqualTo(1);
  }

  // Q9: no-block is a flag of the protocols that define it; an engine without it waits as usual.
  @Tag("Q9")
  @Test
  void noBlockIsIgnoredByAnEngineWithoutIt() {
    TwoMessageEngine engine =
        new TwoMessageEngine() {
          @Override
          public boolean noBlock(ShutdownRequest request) {
            return false;
          }
        };
    ShutdownCoordinator c = new ShutdownCoordinator(engine);
    var f = c.shutdown(ShutdownSpec.bidirectional().noTimeout().with(new OneStep())).toFuture();
    assertThat(f).isNotDone();
    assertThat(engine.waiting).hasSize(1);
    engine.answer();
    assertThat(f.join().outcome()).isEqualTo(Outcome.COMPLETE);
  }

  // Q9, T12: a no-block "not yet" is an answer, not the exchange's last word: subscribing again
  // with the same spec (a constant, as servers keep them) steps the engine again.
  @Tag("T12")
  @Tag("Q9")
  @Test
  void reusedNoBlockSpecStepsAgainOnEverySubscription() {
    TwoMessageEngine engine = new TwoMessageEngine();
    ShutdownCoordinator c = new ShutdownCoordinator(engine);
    ShutdownSpec poll = ShutdownSpec.bidirectional().with(new OneStep());
    Mono<ShutdownResult> shutdown = c.shutdown(poll);
    StepVerifier.create(shutdown).expectComplete().verify(Duration.ofSeconds(5));
    engine.peerAnswered = true;
    StepVerifier.create(shutdown)
        .assertNext(r -> assertThat(r.outcome()).isEqualTo(Outcome.COMPLETE))
        .expectComplete()
        .verify(Duration.ofSeconds(5));
    assertThat(engine.sends).isEqualTo(1);
  }

  // T12, R3: an exchange that timed out is over; retrying the same Mono tries again from the state
  // it left (our close_notify is not sent twice) instead of replaying the timeout.
  @Tag("T12")
  @Tag("R3")
  @Test
  void retryAfterTimeoutTriesAgain() {
    TwoMessageEngine engine = new TwoMessageEngine();
    ShutdownCoordinator c = new ShutdownCoordinator(engine);
    StepVerifier.withVirtualTime(
            () -> c.shutdown(ShutdownSpec.bidirectional().timeout(Duration.ofSeconds(5))).retry(1))
        .expectSubscription()
        .thenAwait(Duration.ofSeconds(5))
        .then(
            () -> {
              assertThat(engine.waiting).as("the retry waits for the peer again").hasSize(1);
              engine.answer();
            })
        .assertNext(r -> assertThat(r.outcome()).isEqualTo(Outcome.COMPLETE))
        .expectComplete()
        .verify(Duration.ofSeconds(5));
    assertThat(engine.sends).isEqualTo(1);
  }

  // T12: every subscriber sharing an exchange gets its ending, an error included, and cancelling
  // one after the end changes nothing.
  @Tag("T12")
  @Test
  void sharedExchangeTellsEverySubscriberItsError() {
    TwoMessageEngine engine = new TwoMessageEngine();
    ShutdownCoordinator c = new ShutdownCoordinator(engine);
    Mono<ShutdownResult> m =
        c.shutdown(ShutdownSpec.bidirectional().timeout(Duration.ofSeconds(5)));
    StepVerifier.withVirtualTime(() -> Mono.zipDelayError(m.materialize(), m.materialize()))
        .expectSubscription()
        .thenAwait(Duration.ofSeconds(5))
        .assertNext(
            pair -> {
              assertThat(pair.getT1().getThrowable()).isInstanceOf(ShutdownException.class);
              assertThat(pair.getT2().getThrowable()).isSameAs(pair.getT1().getThrowable());
            })
        .expectComplete()
        .verify(Duration.ofSeconds(5));
    assertThat(engine.sends).isEqualTo(1);
    assertThat(engine.waiting).isEmpty();
  }

  // T12, R2: a different spec queued behind a running exchange and cancelled before its turn never
  // runs; the running exchange is not disturbed.
  @Tag("T12")
  @Tag("R2")
  @Test
  void queuedSpecCancelledBeforeItsTurnNeverRuns() {
    TwoMessageEngine engine = new TwoMessageEngine();
    ShutdownCoordinator c = new ShutdownCoordinator(engine);
    var waiting = c.shutdown(ShutdownSpec.bidirectional().noTimeout()).toFuture();
    java.util.concurrent.atomic.AtomicInteger signals =
        new java.util.concurrent.atomic.AtomicInteger();
    Disposable queued =
        c.shutdown(ShutdownSpec.bidirectional().waitPeer().noTimeout())
            .subscribe(
                r -> signals.incrementAndGet(),
                e -> signals.incrementAndGet(),
                signals::incrementAndGet);
    queued.dispose();
    engine.answer();
    assertThat(waiting.join().outcome()).isEqualTo(Outcome.COMPLETE);
    assertThat(signals).as("the cancelled subscriber hears nothing").hasValue(0);
    assertThat(engine.waiting).as("nothing runs for it").isEmpty();
  }

  // T13: subscribed on the loop that owns the connection, the first step still runs in a task of
  // its
  // own on that loop, after the subscription returns, so its stack is the loop's and not the
  // subscriber's (JDK 17's engine throws and swallows exceptions while wrapping a close_notify, and
  // fills their stack traces: the deeper the stack, the dearer each shutdown). The wait that
  // follows is on the same loop.
  @Tag("T13")
  @Test
  void firstStepOnTheOwningLoopRunsFromTheLoopNotFromTheSubscribersStack() throws Exception {
    SelectorLoop loop = SelectorLoop.start("coordinator-test");
    try {
      var stepDepth = new java.util.concurrent.CompletableFuture<Integer>();
      TwoMessageEngine engine =
          new TwoMessageEngine() {
            @Override
            public Step step(ShutdownRequest request) throws ShutdownException {
              stepDepth.complete(new Throwable().getStackTrace().length);
              return super.step(request);
            }
          };
      engine.executor = loop;
      ShutdownCoordinator c = new ShutdownCoordinator(engine);
      var result = new java.util.concurrent.CompletableFuture<ShutdownResult>();
      var atSubscribe = new java.util.concurrent.CompletableFuture<int[]>();
      loop.execute(
          () ->
              deep(
                  200,
                  () -> {
                    c.shutdown(ShutdownSpec.bidirectional().noTimeout())
                        .subscribe(result::complete, result::completeExceptionally);
                    atSubscribe.complete(
                        new int[] {engine.sends, new Throwable().getStackTrace().length});
                  }));
      int[] seen = atSubscribe.get(5, java.util.concurrent.TimeUnit.SECONDS);
      assertThat(seen[0]).as("nothing sent within the subscription").isZero();
      assertThat(stepDepth.get(5, java.util.concurrent.TimeUnit.SECONDS))
          .as("the step's stack depth, against the subscriber's " + seen[1])
          .isLessThan(seen[1] - 150);
      loop.execute(engine::answer);
      assertThat(result.get(5, java.util.concurrent.TimeUnit.SECONDS).outcome())
          .isEqualTo(Outcome.COMPLETE);
      assertThat(engine.sends).isEqualTo(1);
    } finally {
      loop.shutdown().block(Duration.ofSeconds(5));
    }
  }

  /** Runs {@code then} {@code frames} calls deeper than the caller. */
  private static void deep(int frames, Runnable then) {
    if (frames == 0) {
      then.run();
    } else {
      deep(frames - 1, then);
    }
  }

  // T12: a subscriber that throws from onNext (a Reactive Streams violation) costs the others
  // nothing: the second subscriber still gets the result, the spec queued behind still runs, and
  // the exception goes to Reactor's dropped-error hook.
  @Tag("T12")
  @Test
  void aSubscriberThrowingFromOnNextDoesNotStopTheOthers() {
    TwoMessageEngine engine = new TwoMessageEngine();
    ShutdownCoordinator c = new ShutdownCoordinator(engine);
    List<Throwable> dropped = new java.util.concurrent.CopyOnWriteArrayList<>();
    reactor.core.publisher.Hooks.onErrorDropped(dropped::add);
    try {
      Mono<ShutdownResult> m = c.shutdown(ShutdownSpec.bidirectional().noTimeout());
      m.subscribe(
          new reactor.core.CoreSubscriber<ShutdownResult>() {
            @Override
            public void onSubscribe(org.reactivestreams.Subscription s) {
              s.request(1);
            }

            @Override
            public void onNext(ShutdownResult r) {
              throw new IllegalStateException("misbehaving subscriber");
            }

            @Override
            public void onError(Throwable t) {}

            @Override
            public void onComplete() {}
          });
      var second = m.toFuture();
      var queued = c.shutdown(ShutdownSpec.bidirectional().fast()).toFuture();
      engine.answer();
      assertThat(second.join().outcome()).isEqualTo(Outcome.COMPLETE);
      assertThat(queued.join().outcome()).isEqualTo(Outcome.COMPLETE);
      assertThat(dropped)
          .singleElement()
          .satisfies(t -> assertThat(t).hasMessage("misbehaving subscriber"));
    } finally {
      reactor.core.publisher.Hooks.resetOnErrorDropped();
    }
  }

  // R3 at scale: 1,000 shutdowns with 30 s deadlines verified on virtual time.
  @Tag("R3")
  @Test
  void thousandDeadlinesOnVirtualTime() {
    // Each shutdown's ending is kept as a signal, not dropped: every one must be a TIMEOUT error,
    // and none may end before the 30 s deadline.
    StepVerifier.withVirtualTime(
            () ->
                reactor.core.publisher.Flux.range(0, 1000)
                    .flatMap(
                        i ->
                            new ShutdownCoordinator(new TwoMessageEngine())
                                .shutdown(
                                    ShutdownSpec.bidirectional().timeout(Duration.ofSeconds(30)))
                                .materialize(),
                        1000)
                    .collectList())
        .expectSubscription()
        .expectNoEvent(Duration.ofSeconds(29))
        .thenAwait(Duration.ofSeconds(1))
        .assertNext(
            endings ->
                assertThat(endings)
                    .hasSize(1000)
                    .allSatisfy(
                        s ->
                            assertThat(s.getThrowable())
                                .isInstanceOfSatisfying(
                                    ShutdownException.class,
                                    e ->
                                        assertThat(e.reason())
                                            .isEqualTo(ShutdownException.Reason.TIMEOUT))))
        .expectComplete()
        .verify(java.time.Duration.ofSeconds(10));
  }
}
