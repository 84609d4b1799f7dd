package dev.graceful.tls;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graceful.core.Outcome;
import dev.graceful.core.ShutdownException;
import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.core.ShutdownState;
import dev.graceful.testkit.TestCerts;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import reactor.core.Exceptions;
import reactor.test.StepVerifier;
import reactor.test.scheduler.VirtualTimeScheduler;

/**
 * T14 over a BIO pair of two real JDK DTLS 1.2 engines: lost datagrams, retransmission and
 * deadlines, all on virtual time.
 */
@Tag("T14")
class DtlsShutdownTest {
  static TestCerts certs;
  VirtualTimeScheduler time;

  @BeforeAll
  static void certs() {
    certs = TestCerts.create();
  }

  @BeforeEach
  void virtualTime() {
    time = VirtualTimeScheduler.create();
  }

  @AfterEach
  void disposeTime() {
    time.dispose();
  }

  BioPair handshaken(BioPair p) {
    CompletableFuture<?> c = p.client.handshake(time).toFuture();
    CompletableFuture<?> s = p.server.handshake(time).toFuture();
    for (int i = 0; i < 10 && !(c.isDone() && s.isDone()); i++) {
      p.pump();
      time.advanceTimeBy(Duration.ofSeconds(1));
    }
    p.pump();
    assertThat(c).isCompleted();
    assertThat(s).isCompleted();
    return p;
  }

  // T14: a lost handshake flight is retransmitted when the 1 s timer fires (virtual time).
  @Test
  void lostFlightIsRetransmittedAfterTheTimer() {
    BioPair p = new BioPair(certs, "DTLSv1.2", MemoryTransport.DEFAULT_CAPACITY);
    AtomicInteger clientFlights = new AtomicInteger();
    p.lose =
        (toServer, bytes) -> toServer && clientFlights.incrementAndGet() == 1; // first ClientHello
    CompletableFuture<?> c = p.client.handshake(time).toFuture();
    CompletableFuture<?> s = p.server.handshake(time).toFuture();
    p.pump();
    assertThat(c).isNotDone();
    time.advanceTimeBy(Duration.ofMillis(999));
    p.pump();
    assertThat(clientFlights.get()).as("nothing resent before the timer").isEqualTo(1);
    time.advanceTimeBy(Duration.ofMillis(1));
    p.pump();
    assertThat(clientFlights.get()).isGreaterThan(1);
    for (int i = 0; i < 5 && !c.isDone(); i++) {
      time.advanceTimeBy(Duration.ofSeconds(2));
      p.pump();
    }
    assertThat(c).isCompleted();
    assertThat(s).isCompleted();
    assertThat(p.client.protocol()).isEqualTo("DTLSv1.2");
  }

  // T14: close_notify exchange over DTLS completes when nothing is lost.
  @Test
  void closeNotifyExchangeCompletes() {
    BioPair p = handshaken(new BioPair(certs, "DTLSv1.2", MemoryTransport.DEFAULT_CAPACITY));
    var s = p.server.shutdown(ShutdownSpec.bidirectional().waitPeer()).toFuture();
    var c = p.client.shutdown(ShutdownSpec.bidirectional()).toFuture();
    p.pump();
    assertThat(c.join().outcome()).isEqualTo(Outcome.COMPLETE);
    assertThat(s.join().outcome()).isEqualTo(Outcome.COMPLETE);
  }

  // T14: the peer's close_notify is lost: with settleAtDeadline the result says our close went
  // out and the deadline came, distinct from an answered close.
  @Test
  void lostAnswerSettlesAtDeadlineAsSent() {
    BioPair p = handshaken(new BioPair(certs, "DTLSv1.2", MemoryTransport.DEFAULT_CAPACITY));
    p.lose = (toServer, bytes) -> !toServer; // every datagram from the server is lost
    var server = p.server.shutdown(ShutdownSpec.bidirectional().waitPeer()).toFuture();
    StepVerifier.withVirtualTime(
            () ->
                p.client.shutdown(
                    ShutdownSpec.bidirectional()
                        .timeout(Duration.ofSeconds(3))
                        .settleAtDeadline()
                        .scheduler(time)),
            () -> time,
            Long.MAX_VALUE)
        .expectSubscription()
        .then(p::pump)
        .expectNoEvent(Duration.ofMillis(2_999))
        .thenAwait(Duration.ofMillis(1))
        .then(p::pump)
        .assertNext(
            r -> {
              assertThat(r.outcome()).isEqualTo(Outcome.SENT);
              assertThat(r.deadlineReached()).isTrue();
              assertThat(r.state()).isEqualTo(ShutdownState.SENT);
            })
        .expectComplete()
        .verify(java.time.Duration.ofSeconds(10));
    assertThat(server.join().outcome())
        .as("the server did get our close and answered")
        .isEqualTo(Outcome.COMPLETE);
  }

  // T14, T5: data read while waiting is counted in a result settled at the deadline.
  @Tag("T5")
  @Test
  void settledResultCountsDataReadWhileWaiting() {
    BioPair p = handshaken(new BioPair(certs, "DTLSv1.2", MemoryTransport.DEFAULT_CAPACITY));
    p.lose =
        (toServer, bytes) -> !toServer && bytes.get(0) == 21; // only the server's alerts are lost
    var c =
        p.client
            .shutdown(
                ShutdownSpec.bidirectional()
                    .timeout(Duration.ofSeconds(3))
                    .settleAtDeadline()
                    .discardUnread()
                    .scheduler(time))
            .toFuture();
    p.pump();
    var w = p.server.send(java.nio.ByteBuffer.allocate(5000)).toFuture();
    p.pump();
    w.join();
    var s =
        p.server
            .shutdown(
                ShutdownSpec.bidirectional()
                    .timeout(Duration.ofSeconds(3))
                    .discardUnread()
                    .scheduler(time))
            .toFuture();
    p.pump();
    time.advanceTimeBy(Duration.ofSeconds(3));
    p.pump();
    ShutdownResult r = c.join();
    assertThat(r.deadlineReached()).isTrue();
    assertThat(r.bytesRead()).isEqualTo(5000);
    assertThat(s.join().outcome()).isEqualTo(Outcome.COMPLETE);
  }

  // T14 without settling: the same loss is a TIMEOUT error carrying state SENT.
  @Test
  void lostAnswerWithoutSettlingIsTimeout() {
    BioPair p = handshaken(new BioPair(certs, "DTLSv1.2", MemoryTransport.DEFAULT_CAPACITY));
    p.lose = (toServer, bytes) -> !toServer;
    var c =
        p.client
            .shutdown(ShutdownSpec.bidirectional().timeout(Duration.ofSeconds(3)).scheduler(time))
            .toFuture();
    p.pump();
    time.advanceTimeBy(Duration.ofSeconds(3));
    p.pump();
    Throwable t =
        Exceptions.unwrap(org.assertj.core.api.Assertions.catchThrowable(c::join).getCause());
    assertThat(t).isInstanceOf(ShutdownException.class);
    assertThat(((ShutdownException) t).reason()).isEqualTo(ShutdownException.Reason.TIMEOUT);
    assertThat(((ShutdownException) t).state()).isEqualTo(ShutdownState.SENT);
  }

  // T14: waiting for a DTLS peer always has a deadline; without one nothing is sent.
  @Test
  void bidirectionalWithoutDeadlineIsRefusedOverDtls() {
    BioPair p = handshaken(new BioPair(certs, "DTLSv1.2", MemoryTransport.DEFAULT_CAPACITY));
    var c = p.client.shutdown(ShutdownSpec.bidirectional().noTimeout()).toFuture();
    assertThat(p.pump()).isZero();
    Throwable t =
        Exceptions.unwrap(org.assertj.core.api.Assertions.catchThrowable(c::join).getCause());
    assertThat(((ShutdownException) t).reason())
        .isEqualTo(ShutdownException.Reason.INVALID_ARGUMENT);
    assertThat(p.client.shutdownState()).isEqualTo(ShutdownState.NONE);
  }

  // T14: waiting for the peer to start (wait-peer) without a deadline is refused the same way: the
  // peer's close_notify can be lost, so the wait might never end.
  @Test
  void waitPeerWithoutDeadlineIsRefusedOverDtls() {
    BioPair p = handshaken(new BioPair(certs, "DTLSv1.2", MemoryTransport.DEFAULT_CAPACITY));
    var c = p.client.shutdown(ShutdownSpec.bidirectional().waitPeer().noTimeout()).toFuture();
    assertThat(p.pump()).isZero();
    assertThat(c).as("refused at once, not left waiting").isCompletedExceptionally();
    Throwable t =
        Exceptions.unwrap(org.assertj.core.api.Assertions.catchThrowable(c::join).getCause());
    assertThat(t)
        .isInstanceOfSatisfying(
            ShutdownException.class,
            e -> assertThat(e.reason()).isEqualTo(ShutdownException.Reason.INVALID_ARGUMENT));
    assertThat(p.client.shutdownState()).isEqualTo(ShutdownState.NONE);
  }

  // T14: a policy that does not wait (fast, quiet) needs no deadline over DTLS.
  @Test
  void fastWithoutDeadlineIsAcceptedOverDtls() {
    BioPair p = handshaken(new BioPair(certs, "DTLSv1.2", MemoryTransport.DEFAULT_CAPACITY));
    var c = p.client.shutdown(ShutdownSpec.bidirectional().fast().noTimeout()).toFuture();
    p.pump();
    assertThat(c.join().outcome()).isEqualTo(Outcome.SENT);
  }

  // T14: a replayed record (an old datagram sent again) during the wait does not break it.
  @Test
  void replayedDatagramDuringShutdownIsIgnored() {
    BioPair p = handshaken(new BioPair(certs, "DTLSv1.2", MemoryTransport.DEFAULT_CAPACITY));
    java.nio.ByteBuffer[] seen = new java.nio.ByteBuffer[1];
    p.lose =
        (toServer, bytes) -> {
          if (!toServer && seen[0] == null) {
            seen[0] = bytes.duplicate(); // keep a copy of the first record the server sends
          }
          return false;
        };
    var w = p.server.send(java.nio.ByteBuffer.wrap(new byte[] {1, 2, 3})).toFuture();
    var c = p.client.shutdown(ShutdownSpec.bidirectional().discardUnread()).toFuture();
    p.pump();
    w.join();
    p.clientSide.offer(seen[0].duplicate()); // the same record again: a replay
    p.pump();
    var s = p.server.shutdown(ShutdownSpec.bidirectional().discardUnread()).toFuture();
    p.pump();
    ShutdownResult r = c.join();
    assertThat(r.outcome()).isEqualTo(Outcome.COMPLETE);
    assertThat(r.bytesRead()).as("the replay was not delivered twice").isEqualTo(3);
    s.join();
  }
}
