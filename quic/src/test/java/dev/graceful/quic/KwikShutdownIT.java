package dev.graceful.quic;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graceful.core.CloseInfo;
import dev.graceful.core.DrainStatus;
import dev.graceful.core.Initiator;
import dev.graceful.core.LoopGroup;
import dev.graceful.core.Outcome;
import dev.graceful.core.ShutdownException;
import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.core.ShutdownState;
import dev.graceful.testkit.LogWatch;
import dev.graceful.testkit.LossyRelay;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import reactor.core.Exceptions;
import tech.kwik.core.ConnectionTerminatedEvent;

/** Q1–Q11 with graceful on a Kwik client and a real Kwik server on loopback. */
class KwikShutdownIT {
  static final Duration WAIT = Duration.ofSeconds(30);
  static LoopGroup loops;

  @BeforeAll
  static void loops() {
    loops = LoopGroup.create(1);
  }

  @AfterAll
  static void stop() {
    loops.shutdown().block(WAIT);
  }

  static QuicConnection graceful(KwikPeer peer) throws Exception {
    return QuicConnection.of(peer.client(), loops, "client->127.0.0.1:" + peer.port);
  }

  /** Waits, within {@link #WAIT}, until {@code condition} holds: a state, not a span of time. */
  static void awaitState(java.util.function.BooleanSupplier condition) {
    reactor.core.publisher.Mono.fromCallable(condition::getAsBoolean)
        .filter(Boolean::booleanValue)
        .repeatWhenEmpty(r -> r.delayElements(Duration.ofMillis(1)))
        .block(WAIT);
  }

  static ShutdownException error(reactor.core.publisher.Mono<?> m) {
    try {
      m.block(WAIT);
      throw new AssertionError("expected an error");
    } catch (RuntimeException e) {
      return (ShutdownException) Exceptions.unwrap(e);
    }
  }

  // Q1, Q6: an RFC close carries the code and reason and completes within the closing period (or
  // as soon as the peer's answering CONNECTION_CLOSE moves us to draining).
  @Tag("Q1")
  @Tag("Q6")
  @Test
  void rfcCloseCarriesCodeAndReasonAndCompletes() throws Exception {
    try (KwikPeer peer = new KwikPeer()) {
      QuicConnection c = graceful(peer);
      ShutdownResult r =
          c.shutdown(
                  ShutdownSpec.bidirectional()
                      .rfc()
                      .with(QuicShutdown.defaults().closeWith(7, "bye")))
              .block(WAIT);
      assertThat(r.outcome()).isEqualTo(Outcome.COMPLETE);
      assertThat(r.state().sent()).isTrue();
      assertThat(r.initiator()).isEqualTo(Initiator.LOCAL);
      ConnectionTerminatedEvent e = peer.awaitEnd();
      assertThat(e.closedByPeer()).isTrue();
      assertThat(e.applicationErrorCode()).isEqualTo(7L);
      assertThat(e.errorDescription()).isEqualTo("Application error: 7 (bye)");
    }
  }

  // Q7: rapid is SENT right after the one close packet; a later RFC shutdown continues to COMPLETE.
  @Tag("Q7")
  @Test
  void rapidIsSentThenRfcCompletes() throws Exception {
    try (KwikPeer peer = new KwikPeer()) {
      QuicConnection c = graceful(peer);
      ShutdownResult rapid =
          c.shutdown(ShutdownSpec.bidirectional().rapid().noStreamFlush()).block(WAIT);
      assertThat(rapid.outcome()).isEqualTo(Outcome.SENT);
      assertThat(rapid.state()).isEqualTo(ShutdownState.SENT);
      ShutdownResult rfc = c.shutdown(ShutdownSpec.bidirectional().rfc()).block(WAIT);
      assertThat(rfc.outcome()).isEqualTo(Outcome.COMPLETE);
      assertThat(peer.awaitEnd().closedByPeer()).isTrue();
    }
  }

  // Q7: SENT waits for Kwik's close() to return. Kwik starts two threads there on first use (its
  // scheduler, for the closing period, and its callback executor, for graceful's listener) unless
  // they run already: wrapping the connection starts them, so the close itself starts none.
  @Tag("Q7")
  @Test
  void rapidCloseStartsNoThreadBecauseWrappingStartedKwiksCloseThreads() throws Exception {
    assertThat(threadsStartedWithinClose(QuicOptions.defaults())).isEmpty();
  }

  // Q7, the option off: the close starts them, as Kwik does without graceful (and the check above
  // sees them when they are started there)
  @Tag("Q7")
  @Test
  void withoutCloseThreadsAheadTheCloseStartsKwiksTwoThreads() throws Exception {
    assertThat(
            threadsStartedWithinClose(
                QuicOptions.defaults().closeThreads(QuicOptions.CloseThreads.AT_CLOSE)))
        .extracting(Thread::getName)
        .hasSize(2)
        .anyMatch(n -> n.startsWith("scheduler"))
        .anyMatch(n -> n.startsWith("callbacks"));
  }

  /** A rapid close's SENT, then the threads still alive that Kwik's close() created. */
  private static java.util.List<Thread> threadsStartedWithinClose(QuicOptions options)
      throws Exception {
    java.util.concurrent.ExecutorService kwikCalls =
        java.util.concurrent.Executors.newSingleThreadExecutor();
    // A thread inherits its creator's context class loader: this one marks the threads that Kwik's
    // close() creates, since graceful calls it on kwikCalls' one thread
    ClassLoader closing = new ClassLoader(KwikShutdownIT.class.getClassLoader()) {};
    try (KwikPeer peer = new KwikPeer()) {
      QuicConnection c =
          QuicConnection.of(peer.client(), loops, "ahead", options.blockingCalls(kwikCalls));
      // in order on one thread: after what wrapping queued there, before the close
      Thread caller =
          kwikCalls
              .submit(
                  () -> {
                    Thread.currentThread().setContextClassLoader(closing);
                    return Thread.currentThread();
                  })
              .get();
      ShutdownResult r =
          c.shutdown(ShutdownSpec.bidirectional().rapid().noStreamFlush()).block(WAIT);
      assertThat(r.outcome()).isEqualTo(Outcome.SENT);
      // both live on for the closing period (3×PTO), so they are found here
      java.util.List<Thread> started =
          Thread.getAllStackTraces().keySet().stream()
              .filter(t -> t != caller && t.getContextClassLoader() == closing)
              .toList();
      assertThat(peer.awaitEnd().closedByPeer()).isTrue();
      return started;
    } finally {
      kwikCalls.shutdownNow();
    }
  }

  // Q8: wait-peer sees the peer's code and reason; initiator PEER; both bits set.
  @Tag("Q8")
  @Tag("Q9")
  @Test
  void waitPeerSeesPeersCodeAndReason() throws Exception {
    try (KwikPeer peer = new KwikPeer()) {
      QuicConnection c = graceful(peer);
      // Q9: the non-blocking form answers at once that the peer has not closed (empty).
      assertThat(
              c.shutdown(
                      ShutdownSpec.bidirectional()
                          .waitPeer()
                          .with(QuicShutdown.defaults().noBlock()))
                  .blockOptional(WAIT))
          .isEmpty();
      var waiting = c.shutdown(ShutdownSpec.bidirectional().waitPeer()).toFuture();
      peer.connected.get().close(9, "server going away");
      ShutdownResult r = waiting.get(30, java.util.concurrent.TimeUnit.SECONDS);
      assertThat(r.outcome()).isEqualTo(Outcome.COMPLETE);
      assertThat(r.initiator()).isEqualTo(Initiator.PEER);
      assertThat(r.state()).isEqualTo(ShutdownState.SENT_AND_RECEIVED);
      assertThat(r.peerErrorCode()).hasValue(9);
      assertThat(r.peerReason()).hasValue("server going away");
      assertThat(r.drained()).isEqualTo(DrainStatus.NOT_DRAINED);
    }
  }

  // Q6, R3: the closing period runs on the injected clock. A relay drops everything once the
  // connection is up, so nothing answers: COMPLETE comes from graceful's 3×PTO timer, on virtual
  // time, and not a moment before it.
  @Tag("Q6")
  @Tag("R3")
  @Test
  void closingPeriodRunsOnVirtualTime() throws Exception {
    try (KwikPeer peer = new KwikPeer();
        LossyRelay relay =
            new LossyRelay(
                new java.net.InetSocketAddress("127.0.0.1", peer.port), (up, d) -> false)) {
      java.util.concurrent.ExecutorService kwikCalls =
          java.util.concurrent.Executors.newSingleThreadExecutor();
      try {
        QuicConnection c =
            QuicConnection.of(
                peer.client(Duration.ofSeconds(30), relay.address().getPort()),
                loops,
                "silent",
                kwikCalls);
        relay.drop((up, d) -> true);
        closeIntoSilence(c, kwikCalls);
      } finally {
        kwikCalls.shutdownNow();
      }
    }
  }

  private static void closeIntoSilence(
      QuicConnection c, java.util.concurrent.ExecutorService kwikCalls) throws Exception {
    reactor.test.scheduler.VirtualTimeScheduler time =
        reactor.test.scheduler.VirtualTimeScheduler.create();
    try {
      var done =
          c.shutdown(
                  ShutdownSpec.bidirectional()
                      .rfc()
                      .noStreamFlush()
                      .timeout(Duration.ofSeconds(30))
                      .scheduler(time))
              .toFuture();
      quiesce(); // the first step ran: Kwik's close() is queued on kwikCalls
      kwikCalls.submit(() -> {}).get(); // one thread, in order: the close has returned
      quiesce(); // its completion reached the loop: the closing timer (3×PTO, virtual) is armed
      assertThat(done).as("nothing answers, so only the timer can end it").isNotDone();
      time.advanceTimeBy(Duration.ofMillis(10));
      quiesce();
      assertThat(done).as("3×PTO is longer than 10 ms").isNotDone();
      time.advanceTimeBy(Duration.ofSeconds(5)); // well past 3×PTO on loopback (PTO ≈ 25–100 ms)
      quiesce();
      ShutdownResult r = done.join();
      assertThat(r.outcome()).isEqualTo(Outcome.COMPLETE);
      assertThat(r.state()).isEqualTo(ShutdownState.SENT);
    } finally {
      time.dispose();
    }
  }

  /** A census runs after every task queued on the loop before it. */
  private static void quiesce() {
    dev.graceful.core.spi.SelectorLoops.of(loops).get(0).census().block(WAIT);
    dev.graceful.core.spi.SelectorLoops.of(loops).get(0).census().block(WAIT);
  }

  // Q1 from the server side: graceful wraps the server's Kwik connection; the client sees the code.
  @Tag("Q1")
  @Test
  void serverSideCloseReachesClient() throws Exception {
    try (KwikPeer peer = new KwikPeer()) {
      tech.kwik.core.QuicClientConnection client = peer.client();
      java.util.concurrent.CompletableFuture<ConnectionTerminatedEvent> clientSaw =
          new java.util.concurrent.CompletableFuture<>();
      client.setConnectionListener(clientSaw::complete);
      QuicConnection server = QuicConnection.of(peer.connected.get(), loops, "server-side");
      ShutdownResult r =
          server
              .shutdown(
                  ShutdownSpec.bidirectional()
                      .rfc()
                      .with(QuicShutdown.defaults().closeWith(3, "maintenance")))
              .block(WAIT);
      assertThat(r.outcome()).isEqualTo(Outcome.COMPLETE);
      ConnectionTerminatedEvent e = clientSaw.get(10, java.util.concurrent.TimeUnit.SECONDS);
      assertThat(e.applicationErrorCode()).isEqualTo(3L);
      assertThat(e.errorDescription()).isEqualTo("Application error: 3 (maintenance)");
    }
  }

  // Q2: an out-of-range code is INVALID_ARGUMENT and nothing is sent; Q4: arguments come from the
  // first shutdown that sends.
  @Tag("Q2")
  @Tag("Q4")
  @Test
  void invalidCodeSendsNothingAndFirstArgumentsWin() throws Exception {
    try (KwikPeer peer = new KwikPeer()) {
      QuicConnection c = graceful(peer);
      ShutdownException e =
          error(
              c.shutdown(
                  ShutdownSpec.bidirectional()
                      .rapid()
                      .with(QuicShutdown.defaults().closeWith(1L << 62, "x"))));
      assertThat(e.reason()).isEqualTo(ShutdownException.Reason.INVALID_ARGUMENT);
      assertThat(c.shutdownState()).isEqualTo(ShutdownState.NONE);
      assertThat(peer.ended).isNotDone();
      c.shutdown(
              ShutdownSpec.bidirectional()
                  .rapid()
                  .with(QuicShutdown.defaults().closeWith(5, "first")))
          .block(WAIT);
      c.shutdown(
              ShutdownSpec.bidirectional()
                  .rfc()
                  .with(QuicShutdown.defaults().closeWith(6, "second")))
          .block(WAIT);
      ConnectionTerminatedEvent end = peer.awaitEnd();
      assertThat(end.applicationErrorCode()).isEqualTo(5L);
      assertThat(end.errorDescription()).isEqualTo("Application error: 5 (first)");
    }
  }

  // Q10, Q11: streams cannot be shut down and report no state; a connection's state cannot be set.
  @Tag("Q10")
  @Tag("Q11")
  @Test
  void streamsAreNotShutDownAndStateIsNotSettable() throws Exception {
    try (KwikPeer peer = new KwikPeer()) {
      QuicConnection c = graceful(peer);
      QuicStreamHandle s = c.openStream().block(WAIT);
      assertThat(error(s.shutdown(ShutdownSpec.bidirectional())).reason())
          .isEqualTo(ShutdownException.Reason.ILLEGAL_STATE);
      assertThat(s.shutdownState()).isEmpty();
      assertThat(error(c.setShutdownState(ShutdownState.SENT)).reason())
          .isEqualTo(ShutdownException.Reason.ILLEGAL_STATE);
      assertThat(error(s.reset(-1)).reason()).isEqualTo(ShutdownException.Reason.INVALID_ARGUMENT);
      c.shutdown(ShutdownSpec.bidirectional().rapid()).block(WAIT);
    }
  }

  // Q10 on the wire: what a real Kwik peer's application sees of a concluded stream (its bytes,
  // then the FIN at their end) and of a reset one (RESET_STREAM after the bytes that preceded it);
  // the connection's close then leaves both as they were.
  @Tag("Q10")
  @Test
  void concludedAndResetStreamsReachThePeerAsFinAndReset() throws Exception {
    try (KwikPeer peer = new KwikPeer()) {
      QuicConnection c = graceful(peer);
      QuicStreamHandle concluded = c.openStream().block(WAIT);
      concluded.write(ByteBuffer.wrap(new byte[1_000])).then(concluded.conclude()).block(WAIT);
      assertThat(peer.streamEnd(concluded.streamId()).get(WAIT.toSeconds(), TimeUnit.SECONDS))
          .isEqualTo("FIN after 1000 bytes");

      QuicStreamHandle reset = c.openStream().block(WAIT);
      reset.write(ByteBuffer.wrap(new byte[10])).block(WAIT);
      reset.reset(9).block(WAIT);
      // Kwik keeps neither the code nor wakes a blocked reader: its stream state shows the
      // RESET_STREAM and the final size it carried, the 10 bytes written before it
      assertThat(
              reactor.core.publisher.Flux.interval(Duration.ofMillis(20))
                  .map(i -> peer.resetFinalSize(reset.streamId()))
                  .filter(size -> size >= 0)
                  .blockFirst(WAIT))
          .isEqualTo(10L);

      ShutdownResult r = c.shutdown(ShutdownSpec.bidirectional().rapid()).block(WAIT);
      assertThat(r.state().sent()).isTrue();
    }
  }

  // Q5: 2 MB written immediately before the shutdown arrive whole before the close.
  @Tag("Q5")
  @Test
  void defaultDrainDeliversEverythingBeforeTheClose() throws Exception {
    try (KwikPeer peer = new KwikPeer()) {
      QuicConnection c = graceful(peer);
      QuicStreamHandle s = c.openStream().block(WAIT);
      int size = 2_000_000;
      // written immediately before the shutdown: the write is still going when the shutdown starts
      var written = s.write(ByteBuffer.allocate(size)).toFuture();
      ShutdownResult r =
          c.shutdown(ShutdownSpec.bidirectional().rfc().timeout(Duration.ofSeconds(20)))
              .block(WAIT);
      written.get(); // done before the close: the drain waited for it
      assertThat(r.drained()).isEqualTo(DrainStatus.DRAINED);
      // what was still unsent when the shutdown began (Kwik's send buffer), now sent
      assertThat(r.bytesDrained()).isBetween(0L, (long) size);
      peer.awaitEnd();
      // what DRAINED promises: the peer's QUIC stack had every byte in order before the close (its
      // application may not have read the last of it yet: Kwik drops that at the close)
      assertThat(peer.receivedAtClose.get())
          .as("the peer had every byte before the close")
          .isEqualTo(size);
      assertThat(peer.bytesAtClose.get()).isLessThanOrEqualTo(size);
    }
  }

  // Q5 on a connection that went deaf: Kwik's receive thread ended while the connection is open
  // (Kwik 0.10.9 under -ea ends it on loopback, by an assertion). No acknowledgement can come, so
  // the drain ends at once as NOT_DRAINED, not at its deadline as TIMEOUT, and the close still
  // goes out. Interrupting the thread is Kwik's own way to end it. The warning that says so is
  // logged off the loop.
  @Tag("Q5")
  @Test
  void drainEndsAtOnceWhenKwikStopsReceiving() throws Exception {
    try (KwikPeer peer = new KwikPeer()) {
      QuicConnection c = graceful(peer);
      QuicStreamHandle s = c.openStream().block(WAIT);
      s.write(ByteBuffer.allocate(2_000_000)).subscribe(v -> {}, e -> {});
      java.lang.reflect.Field field = c.kwik().getClass().getDeclaredField("receiverThread");
      field.setAccessible(true);
      Thread receiver = (Thread) field.get(c.kwik());
      receiver.interrupt();
      receiver.join(WAIT.toMillis());
      assertThat(receiver.isAlive()).isFalse();
      java.util.concurrent.CompletableFuture<Thread> warnedOn =
          new java.util.concurrent.CompletableFuture<>();
      ShutdownResult r;
      LogWatch seen =
          LogWatch.of(
              dev.graceful.quic.internal.KwikEngine.class,
              rec -> {
                if (rec.getMessage().contains("receive thread ended")) {
                  warnedOn.complete(Thread.currentThread());
                }
              });
      try {
        r =
            c.shutdown(ShutdownSpec.bidirectional().rfc().timeout(Duration.ofSeconds(20)))
                .block(WAIT);
        // the warning is logged, and not on the loop, whose thread must never block on a handler
        assertThat(warnedOn.get(WAIT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS))
            .isNotInstanceOf(reactor.core.scheduler.NonBlocking.class);
      } finally {
        seen.close();
      }
      assertThat(r.drained()).isEqualTo(DrainStatus.NOT_DRAINED);
      assertThat(r.deadlineReached()).isFalse();
      assertThat(r.truncationRisk()).isTrue();
      assertThat(r.outcome()).isEqualTo(Outcome.COMPLETE); // the closing period ran out
      assertThat(peer.awaitEnd().closedByPeer()).as("the CONNECTION_CLOSE went out").isTrue();
      assertThat(peer.bytesAtClose.get()).isLessThan(2_000_000L);
    }
  }

  // Q5, the send watch's cost: a peer application that reads nothing holds our stream with its
  // flow control. The watch sees a stream that does not move and restarts it, but each restart
  // that brings no progress doubles its wait (10 ms up to 640 ms): 8 restarts in 3 s in two runs,
  // where looking every 10 ms made 199. Once the peer reads, the write returns, every byte
  // arrives and the drain finds nothing left.
  @Tag("Q5")
  @Test
  void sendWatchBacksOffWhileThePeersFlowControlHoldsTheStream() throws Exception {
    try (KwikPeer peer = KwikPeer.holding()) {
      QuicConnection c = graceful(peer);
      QuicStreamHandle s = c.openStream().block(WAIT);
      int size = 6_000_000; // beyond the peer's 4 MB stream window
      var written = s.write(ByteBuffer.allocate(size)).toFuture();
      reactor.core.publisher.Mono.delay(Duration.ofSeconds(3))
          .block(); // the span measured, not a poll
      assertThat(written).as("held by the peer's flow control").isNotDone();
      long restarts = c.stallRecoveries().block(WAIT);
      assertThat(restarts).as("restarts while held for 3 s").isBetween(1L, 15L);
      peer.startReading();
      written.get(30, java.util.concurrent.TimeUnit.SECONDS);
      ShutdownResult r =
          c.shutdown(ShutdownSpec.bidirectional().rfc().timeout(Duration.ofSeconds(20)))
              .block(WAIT);
      assertThat(r.drained()).isEqualTo(DrainStatus.DRAINED);
      peer.awaitEnd();
      assertThat(peer.receivedAtClose.get()).isEqualTo(size);
    }
  }

  // Q5 skipped: noStreamFlush closes at once and says so.
  @Tag("Q5")
  @Test
  void noStreamFlushSaysNotDrained() throws Exception {
    try (KwikPeer peer = new KwikPeer()) {
      QuicConnection c = graceful(peer);
      QuicStreamHandle s = c.openStream().block(WAIT);
      var written = s.write(ByteBuffer.allocate(2_000_000)).toFuture();
      ShutdownResult r = c.shutdown(ShutdownSpec.bidirectional().rfc().noStreamFlush()).block(WAIT);
      assertThat(r.drained()).isEqualTo(DrainStatus.NOT_DRAINED);
      peer.awaitEnd();
      // Kwik aborts the stream under the write: it fails, as the application chose
      assertThat(written).failsWithin(WAIT);
      assertThat(peer.bytesAtClose.get()).isLessThan(2_000_000L);
    }
  }

  // Q5 with the application's acknowledgement: the peer application answers one byte once it
  // has read everything; the drain ends on that answer (DRAINED), and the peer had every byte.
  @Tag("Q5")
  @Test
  void applicationAcknowledgementEndsTheDrain() throws Exception {
    int size = 1_000_000;
    try (KwikPeer peer = new KwikPeer(30, size)) {
      QuicConnection c = graceful(peer);
      QuicStreamHandle s = c.openStream().block(WAIT);
      reactor.core.publisher.Mono<Integer> answer =
          reactor.core.publisher.Mono.fromCallable(() -> s.kwik().getInputStream().read())
              .subscribeOn(reactor.core.scheduler.Schedulers.boundedElastic())
              .cache();
      s.acknowledgedBy(answer);
      s.write(ByteBuffer.allocate(size)).subscribe();
      ShutdownResult r =
          c.shutdown(ShutdownSpec.bidirectional().rapid().timeout(Duration.ofSeconds(20)))
              .block(WAIT);
      assertThat(r.drained()).isEqualTo(DrainStatus.DRAINED);
      assertThat(answer.block(WAIT)).as("the close went out after the answer").isEqualTo(1);
      peer.awaitEnd();
      assertThat(peer.bytesAtClose.get()).isEqualTo(size);
    }
  }

  // Q5 with the application's acknowledgement while the peer holds a stream open towards us, as
  // an HTTP/3 control stream is: Kwik holds it, but this side has nothing to send on it, so the
  // acknowledgement alone still ends the drain (DRAINED), even with none of our packets
  // acknowledged by the peer's QUIC stack.
  @Tag("Q5")
  @Test
  void aPeersReceiveOnlyStreamLeavesTheApplicationAcknowledgementEnough() throws Exception {
    try (KwikPeer peer = new KwikPeer();
        LossyRelay relay =
            new LossyRelay(
                new java.net.InetSocketAddress("127.0.0.1", peer.port), (up, d) -> false)) {
      tech.kwik.core.QuicClientConnection kwik =
          peer.client(Duration.ofSeconds(30), relay.address().getPort());
      var fromPeer = new java.util.concurrent.CompletableFuture<tech.kwik.core.QuicStream>();
      kwik.setPeerInitiatedStreamCallback(fromPeer::complete);
      QuicConnection c = QuicConnection.of(kwik, loops, "client->127.0.0.1:" + peer.port);
      tech.kwik.core.QuicStream control =
          peer.connected.get(10, java.util.concurrent.TimeUnit.SECONDS).createStream(false);
      control.getOutputStream().write(0); // opened, never concluded
      control.getOutputStream().flush();
      assertThat(fromPeer.get(10, java.util.concurrent.TimeUnit.SECONDS).isUnidirectional())
          .as("Kwik holds the peer's stream on this side")
          .isTrue();
      QuicStreamHandle s = c.openStream().block(WAIT);
      s.acknowledgedBy(reactor.core.publisher.Mono.just(1));
      relay.drop((toServer, d) -> toServer); // from now on, nothing of ours is acknowledged
      s.write(ByteBuffer.allocate(10_000)).block(WAIT); // fits Kwik's send buffer: returns at once
      ShutdownResult r =
          c.shutdown(ShutdownSpec.bidirectional().rapid().timeout(Duration.ofSeconds(4)))
              .block(WAIT);
      assertThat(r.drained()).isEqualTo(DrainStatus.DRAINED);
    }
  }

  // Q12 against a real Kwik peer: our RFC close is reported as sent (local, application, our code
  // and reason), and the peer received exactly that.
  @Tag("Q12")
  @Test
  void ourCloseInfoIsWhatThePeerReceived() throws Exception {
    try (KwikPeer peer = new KwikPeer()) {
      QuicConnection c = graceful(peer);
      ShutdownResult r =
          c.shutdown(
                  ShutdownSpec.bidirectional()
                      .rfc()
                      .with(QuicShutdown.defaults().closeWith(11, "done here")))
              .block(WAIT);
      assertThat(r.closeInfo()).hasValue(CloseInfo.application(11, "done here", true));
      ConnectionTerminatedEvent e = peer.awaitEnd();
      assertThat(e.applicationErrorCode()).isEqualTo(11L);
      assertThat(e.errorDescription()).isEqualTo("Application error: 11 (done here)");
    }
  }

  // Q12: the peer's application close, as a waiting shutdown reports it.
  @Tag("Q12")
  @Tag("Q8")
  @Test
  void thePeersCloseInfoIsThePeers() throws Exception {
    try (KwikPeer peer = new KwikPeer()) {
      QuicConnection c = graceful(peer);
      var waiting = c.shutdown(ShutdownSpec.bidirectional().waitPeer()).toFuture();
      peer.connected.get().close(0x33, "maintenance (planned)");
      ShutdownResult r = waiting.get(30, java.util.concurrent.TimeUnit.SECONDS);
      assertThat(r.closeInfo())
          .hasValue(CloseInfo.application(0x33, "maintenance (planned)", false));
      assertThat(r.peerReason()).hasValue("maintenance (planned)");
    }
  }

  // Q8, Q11, Q12: Kwik closing the connection itself with a transport error (here the application
  // closing the Kwik connection directly, which Kwik reports as it reports a protocol violation it
  // detected) ends a peer wait without deadline at once, with both state bits and Kwik's close.
  @Tag("Q8")
  @Tag("Q11")
  @Tag("Q12")
  @Test
  void kwiksOwnTransportCloseEndsAPeerWaitAtOnce() throws Exception {
    try (KwikPeer peer = new KwikPeer()) {
      QuicConnection c = graceful(peer);
      var waiting = c.shutdown(ShutdownSpec.bidirectional().waitPeer().noTimeout()).toFuture();
      c.kwik()
          .close(tech.kwik.core.QuicConstants.TransportErrorCode.PROTOCOL_VIOLATION, "broken peer");
      ShutdownResult r = waiting.get(30, java.util.concurrent.TimeUnit.SECONDS);
      assertThat(r.outcome()).as(r.toString()).isEqualTo(Outcome.COMPLETE);
      assertThat(r.state()).as(r.toString()).isEqualTo(ShutdownState.SENT_AND_RECEIVED);
      assertThat(c.shutdownState()).isEqualTo(ShutdownState.SENT_AND_RECEIVED);
      assertThat(r.closeInfo()).hasValue(CloseInfo.transport(0xa, 0, "broken peer", true));
      ConnectionTerminatedEvent e = peer.awaitEnd();
      assertThat(e.transportErrorCode()).isEqualTo(0xaL);
    }
  }

  // Q8, Q12: an idle timeout (one second here) ends a peer wait whose own deadline is far
  // off at once, as a local transport ending with code 0 that names it.
  @Tag("Q8")
  @Tag("Q12")
  @Test
  void idleTimeoutEndsAPeerWaitAtOnce() throws Exception {
    try (KwikPeer peer = new KwikPeer(1)) {
      QuicConnection c =
          QuicConnection.of(
              peer.client(Duration.ofSeconds(1)), loops, "idle", QuicOptions.defaults());
      long start = System.nanoTime();
      ShutdownResult r =
          c.shutdown(ShutdownSpec.bidirectional().waitPeer().timeout(Duration.ofSeconds(60)))
              .block(WAIT);
      // well before the 60 s deadline: Kwik's idle timer (1 s, stretched by its probe timeouts,
      // which a loaded 2-core machine lengthens) ends it, not the deadline
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(40));
      assertThat(r.outcome()).isEqualTo(Outcome.COMPLETE);
      assertThat(r.state().received()).isTrue();
      // Kwik calls it a loss when its last packets went unacknowledged (the peer timed out first)
      assertThat(r.closeInfo())
          .hasValueSatisfying(
              i -> {
                assertThat(i.transport()).isTrue();
                assertThat(i.local()).isTrue();
                assertThat(i.errorCode()).isZero();
                assertThat(i.reason())
                    .isIn(
                        "idle timeout", "connection lost: idle timeout with probes unacknowledged");
              });
    }
  }

  // Refusal: once a shutdown began, writes and new streams fail with ILLEGAL_STATE, carrying the
  // close, and nothing more reaches the peer.
  @Tag("Q12")
  @Test
  void writesAndNewStreamsAreRefusedOnceTheShutdownBegan() throws Exception {
    try (KwikPeer peer = new KwikPeer()) {
      QuicConnection c = graceful(peer);
      QuicStreamHandle s = c.openStream().block(WAIT);
      s.write(ByteBuffer.allocate(1000)).block(WAIT);
      c.shutdown(
              ShutdownSpec.bidirectional()
                  .rapid()
                  .with(QuicShutdown.defaults().closeWith(4, "closing")))
          .block(WAIT);
      ShutdownException write = error(s.write(ByteBuffer.allocate(10)));
      assertThat(write.reason()).isEqualTo(ShutdownException.Reason.ILLEGAL_STATE);
      assertThat(write.closeInfo()).hasValue(CloseInfo.application(4, "closing", true));
      assertThat(error(c.openStream()).reason()).isEqualTo(ShutdownException.Reason.ILLEGAL_STATE);
      assertThat(error(c.openUnidirectionalStream()).reason())
          .isEqualTo(ShutdownException.Reason.ILLEGAL_STATE);
      assertThat(s.bytesWritten()).isEqualTo(1000);
      peer.awaitEnd();
      assertThat(peer.bytesAtClose.get()).isLessThanOrEqualTo(1000L);
    }
  }

  // Refusal during a drain: a write begun after the shutdown is refused rather than queued behind
  // the close, while the drain still delivers what was written before.
  @Tag("Q5")
  @Test
  void aWriteDuringTheDrainIsRefusedAndTheDrainDeliversTheRest() throws Exception {
    try (KwikPeer peer = KwikPeer.holding()) {
      QuicConnection c = graceful(peer);
      QuicStreamHandle s = c.openStream().block(WAIT);
      int size = 6_000_000; // beyond the peer's 4 MB stream window: held until it reads
      var written = s.write(ByteBuffer.allocate(size)).toFuture();
      var shutdown =
          c.shutdown(ShutdownSpec.bidirectional().rfc().timeout(Duration.ofSeconds(20))).toFuture();
      // the drain waits for the peer, which does not read yet; a write now is refused
      awaitState(c::refusing); // the shutdown's first step ran: its drain began
      c.stallRecoveries().block(WAIT); // a hop through the loop: that step is over
      assertThat(c.shutdownState())
          .as("no close before the drain ends")
          .isEqualTo(ShutdownState.NONE);
      assertThat(shutdown).isNotDone();
      assertThat(error(s.write(ByteBuffer.allocate(10))).reason())
          .isEqualTo(ShutdownException.Reason.ILLEGAL_STATE);
      peer.startReading();
      ShutdownResult r = shutdown.get(30, java.util.concurrent.TimeUnit.SECONDS);
      written.get(); // done before the close: the drain waited for it
      assertThat(r.drained()).isEqualTo(DrainStatus.DRAINED);
      peer.awaitEnd();
      assertThat(peer.receivedAtClose.get()).isEqualTo(size);
    }
  }

  // Q5 for a stream graceful did not hand out: written on the Kwik connection directly, with part
  // of it held back by the peer's flow control when the shutdown begins. The drain finds it in
  // Kwik and waits for it (without that, it would claim DRAINED and the close would drop the
  // rest); once the peer reads, every byte arrives before the close.
  @Tag("Q5")
  @Test
  void theDrainCoversAStreamOpenedOnTheKwikConnectionDirectly() throws Exception {
    int window = 20_000;
    // all of it fits Kwik's 50 KB send buffer: the write returns at once, whatever the sender does
    int size = 45_000;
    try (KwikPeer peer = KwikPeer.holding(window)) {
      QuicConnection c = graceful(peer);
      tech.kwik.core.QuicStream raw = c.kwik().createStream(true);
      var written =
          java.util.concurrent.CompletableFuture.runAsync(
              () -> {
                try {
                  raw.getOutputStream().write(new byte[size]);
                } catch (java.io.IOException e) {
                  throw new java.io.UncheckedIOException(e);
                }
              });
      written.get(30, java.util.concurrent.TimeUnit.SECONDS);
      var shutdown =
          c.shutdown(ShutdownSpec.bidirectional().rfc().timeout(Duration.ofSeconds(20))).toFuture();
      awaitState(c::refusing); // the drain began
      // everything the peer's window let through is acknowledged: a drain blind to this stream
      // would end now, at its next look
      awaitState(
          () -> dev.graceful.quic.internal.KwikInternals.bytesInFlight(c.kwik()).orElse(-1) == 0);
      c.stallRecoveries().block(WAIT); // a hop through the loop
      assertThat(c.shutdownState())
          .as("no close before the drain ends")
          .isEqualTo(ShutdownState.NONE);
      assertThat(shutdown).as("the drain waits for the held bytes").isNotDone();
      peer.startReading();
      ShutdownResult r = shutdown.get(30, java.util.concurrent.TimeUnit.SECONDS);
      assertThat(r.drained()).isEqualTo(DrainStatus.DRAINED);
      peer.awaitEnd();
      assertThat(peer.receivedAtClose.get()).isEqualTo(size);
    }
  }
}
