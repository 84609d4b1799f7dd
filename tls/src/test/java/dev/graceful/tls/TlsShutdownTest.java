package dev.graceful.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graceful.core.Initiator;
import dev.graceful.core.Outcome;
import dev.graceful.core.ShutdownException;
import dev.graceful.core.ShutdownException.Reason;
import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.core.ShutdownState;
import dev.graceful.core.TransportPolicy;
import dev.graceful.testkit.TestCerts;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import reactor.core.Disposable;
import reactor.core.Exceptions;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/**
 * T1–T13 and R1–R3 over a BIO pair of two real JDK TLS engines. The test thread is the loop and
 * moves the bytes, so nothing depends on wall-clock time; deadlines run on virtual time.
 */
class TlsShutdownTest {
  static final Duration VERIFY = Duration.ofSeconds(10);
  static TestCerts certs;

  @BeforeAll
  static void certs() {
    certs = TestCerts.create();
  }

  static ByteBuffer utf8(String s) {
    return ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
  }

  static <T> T done(CompletableFuture<T> f) {
    assertThat(f).as("completed after pumping").isDone();
    return f.join();
  }

  /**
   * @return every byte {@code c} receives until the peer's close_notify
   */
  static CompletableFuture<byte[]> allBytes(TlsConnection c) {
    return c.receive()
        .reduce(
            new ByteArrayOutputStream(),
            (all, b) -> {
              all.write(b.array(), b.arrayOffset() + b.position(), b.remaining());
              return all;
            })
        .map(ByteArrayOutputStream::toByteArray)
        .toFuture();
  }

  static ShutdownException failure(CompletableFuture<?> f) {
    assertThat(f).as("failed after pumping").isCompletedExceptionally();
    try {
      f.join();
      throw new AssertionError("not failed");
    } catch (RuntimeException e) {
      Throwable t = Exceptions.unwrap(e.getCause() != null ? e.getCause() : e);
      assertThat(t).isInstanceOf(ShutdownException.class);
      return (ShutdownException) t;
    }
  }

  // T1: SENT is set when sending is attempted, even if the write fails.
  @Tag("T1")
  @ParameterizedTest
  @ValueSource(strings = {"1.2", "1.3"})
  void sentIsSetWhenSendingIsAttemptedEvenIfWriteFails(String tls) {
    BioPair p = BioPair.handshaken(certs, tls);
    p.clientSide.close();
    var f = p.client.shutdown(ShutdownSpec.bidirectional().fast()).toFuture();
    p.pump();
    ShutdownException e = failure(f);
    assertThat(e.reason()).isEqualTo(Reason.TRANSPORT);
    assertThat(e.state()).isEqualTo(ShutdownState.SENT);
    assertThat(p.client.shutdownState()).isEqualTo(ShutdownState.SENT);
    // the JDK's ClosedChannelException has no message: the error names the closed transport
    assertThat(e.getMessage())
        .doesNotContain("null")
        .contains("closed")
        .contains(p.client.connectionId());
  }

  // T9, T11: after release() the connection is gone: any shutdown is refused with ILLEGAL_STATE,
  // sends nothing and leaves the state as it was; a quiet one does not claim the session that
  // release() just invalidated is resumable.
  @Tag("T9")
  @Tag("T11")
  @ParameterizedTest
  @ValueSource(strings = {"bidirectional", "fast", "quiet", "wait-peer"})
  void shutdownAfterReleaseIsIllegalStateAndChangesNothing(String mode) {
    BioPair p = BioPair.handshaken(certs, "1.3");
    var released = p.client.release().toFuture();
    p.pump();
    done(released);
    var f =
        p.client
            .shutdown(ShutdownSpec.of(dev.graceful.core.ShutdownMode.fromCliName(mode)))
            .toFuture();
    p.pump();
    ShutdownException e = failure(f);
    assertThat(e.reason()).isEqualTo(Reason.ILLEGAL_STATE);
    assertThat(e.getMessage()).contains("released").doesNotContain("null");
    assertThat(e.state()).isEqualTo(ShutdownState.NONE);
    assertThat(p.client.shutdownState()).isEqualTo(ShutdownState.NONE);
  }

  // T12: a shutdown that completed before release() is reported as complete when asked again,
  // as SSL_shutdown() returns 1 again once both close_notify alerts went; no I/O is needed.
  @Tag("T12")
  @Test
  void completedShutdownAskedAgainAfterReleaseIsStillComplete() {
    BioPair p = BioPair.handshaken(certs, "1.2");
    var first = p.client.shutdown(ShutdownSpec.bidirectional()).toFuture();
    var answer = p.server.shutdown(ShutdownSpec.bidirectional()).toFuture();
    p.pump();
    assertThat(done(first).outcome()).isEqualTo(Outcome.COMPLETE);
    assertThat(done(answer).outcome()).isEqualTo(Outcome.COMPLETE);
    var released = p.client.release().toFuture();
    p.pump();
    done(released);
    var again = p.client.shutdown(ShutdownSpec.bidirectional()).toFuture();
    p.pump();
    assertThat(done(again).outcome()).isEqualTo(Outcome.COMPLETE);
    assertThat(p.client.shutdownState()).isEqualTo(ShutdownState.SENT_AND_RECEIVED);
  }

  // T1, T3: RECEIVED is set by any read that processes the peer's close_notify.
  @Tag("T1")
  @Tag("T3")
  @ParameterizedTest
  @ValueSource(strings = {"1.2", "1.3"})
  void receivedIsSetByAnyRead(String tls) {
    BioPair p = BioPair.handshaken(certs, tls);
    var s = p.server.shutdown(ShutdownSpec.bidirectional().fast()).toFuture();
    var read = p.client.receive().collectList().toFuture();
    p.pump();
    assertThat(done(s).outcome()).isEqualTo(Outcome.SENT);
    assertThat(done(read)).isEmpty(); // end of stream, no data
    assertThat(p.client.shutdownState()).isEqualTo(ShutdownState.RECEIVED);
  }

  // T2: a local shutdown closes only the write direction: reads go on, writes are refused.
  @Tag("T2")
  @Test
  void localShutdownClosesOnlyTheWriteDirection() {
    BioPair p = BioPair.handshaken(certs, "1.3");
    var s = p.client.shutdown(ShutdownSpec.bidirectional().fast()).toFuture();
    p.pump();
    assertThat(done(s).state()).isEqualTo(ShutdownState.SENT);
    var w = p.server.send(utf8("still-flowing")).toFuture();
    var r = p.client.receive().next().toFuture();
    p.pump();
    done(w);
    assertThat(StandardCharsets.UTF_8.decode(done(r)).toString()).isEqualTo("still-flowing");
    var late = p.client.send(utf8("x")).toFuture();
    p.pump();
    assertThat(failure(late).reason()).isEqualTo(Reason.ILLEGAL_STATE);
  }

  // T3: the peer closes first; answering completes with initiator PEER.
  @Tag("T3")
  @ParameterizedTest
  @ValueSource(strings = {"1.2", "1.3"})
  void peerInitiatedShutdownCompletesWhenAnswered(String tls) {
    BioPair p = BioPair.handshaken(certs, tls);
    var s = p.server.shutdown(ShutdownSpec.bidirectional()).toFuture();
    var c = p.client.shutdown(ShutdownSpec.bidirectional().waitPeer()).toFuture();
    p.pump();
    ShutdownResult client = done(c);
    assertThat(client.outcome()).isEqualTo(Outcome.COMPLETE);
    assertThat(client.initiator()).isEqualTo(Initiator.PEER);
    assertThat(done(s).initiator()).isEqualTo(Initiator.LOCAL);
    assertThat(done(s).outcome()).isEqualTo(Outcome.COMPLETE);
  }

  // T4: the transport stays open unless the policy closes it.
  @Tag("T4")
  @Test
  void transportStaysOpenUnlessPolicyClosesIt() {
    BioPair p = BioPair.handshaken(certs, "1.3");
    var s = p.server.shutdown(ShutdownSpec.bidirectional()).toFuture();
    var c = p.client.shutdown(ShutdownSpec.bidirectional()).toFuture();
    p.pump();
    assertThat(done(c).outcome()).isEqualTo(Outcome.COMPLETE);
    done(s);
    assertThat(p.clientSide.isOpen()).isTrue();
    BioPair q = BioPair.handshaken(certs, "1.3");
    var qc =
        q.client
            .shutdown(ShutdownSpec.bidirectional().fast().closeTransport(TransportPolicy.CLOSE))
            .toFuture();
    q.pump();
    done(qc);
    assertThat(q.clientSide.isOpen()).isFalse();
  }

  // T5: data arriving before the peer's close_notify is handed over in order, never dropped.
  @Tag("T5")
  @ParameterizedTest
  @ValueSource(strings = {"1.2", "1.3"})
  void dataBeforePeerCloseIsDeliveredInOrder(String tls) {
    BioPair p = BioPair.handshaken(certs, tls);
    StringBuilder got = new StringBuilder();
    var c =
        p.client
            .shutdown(
                ShutdownSpec.bidirectional()
                    .readInto(b -> got.append(StandardCharsets.UTF_8.decode(b))))
            .toFuture();
    p.pump(); // our close_notify is out; the server has not read it yet
    var w1 = p.server.send(utf8("one,")).toFuture();
    var w2 = p.server.send(utf8("two")).toFuture();
    p.pump();
    done(w1);
    done(w2);
    assertThat(c).isNotDone();
    var s = p.server.shutdown(ShutdownSpec.bidirectional().discardUnread()).toFuture();
    p.pump();
    assertThat(got.toString()).isEqualTo("one,two");
    ShutdownResult r = done(c);
    assertThat(r.outcome()).isEqualTo(Outcome.COMPLETE);
    assertThat(r.bytesRead()).isEqualTo(7);
    done(s);
  }

  // T5: "never dropped silently": a receive() cancelled after some records leaves the records it
  // did not emit to the next reader, here the shutdown's consumer, whether the subscriber had
  // asked for them or not.
  @Tag("T5")
  @ParameterizedTest
  @ValueSource(strings = {"1.2", "1.3"})
  void cancelledReceiveLeavesTheRestToTheNextReader(String tls) {
    BioPair p = BioPair.handshaken(certs, tls);
    var w1 = p.server.send(utf8("one,")).toFuture();
    var w2 = p.server.send(utf8("two,")).toFuture();
    var w3 = p.server.send(utf8("three")).toFuture();
    p.pump();
    done(w1);
    done(w2);
    done(w3);
    StringBuilder got = new StringBuilder();
    var first =
        p.client
            .receive()
            .take(1)
            .doOnNext(b -> got.append(StandardCharsets.UTF_8.decode(b)))
            .then()
            .toFuture();
    p.pump();
    done(first);
    assertThat(got.toString()).isEqualTo("one,");
    var c =
        p.client
            .shutdown(
                ShutdownSpec.bidirectional()
                    .readInto(b -> got.append(StandardCharsets.UTF_8.decode(b))))
            .toFuture();
    var s = p.server.shutdown(ShutdownSpec.bidirectional().discardUnread()).toFuture();
    p.pump();
    assertThat(got.toString()).isEqualTo("one,two,three");
    assertThat(done(c).outcome()).isEqualTo(Outcome.COMPLETE);
    done(s);
  }

  // T5: the step that writes our close_notify does not read (nothing can have answered it yet); the
  // wait is for readiness, which is level-triggered, so the peer's answer is read when it arrives.
  @Tag("T5")
  @ParameterizedTest
  @ValueSource(strings = {"1.2", "1.3"})
  void sendingStepDoesNotReadAndTheAnswerIsStillRead(String tls) {
    CountingTransport[] counted = new CountingTransport[1];
    BioPair p =
        BioPair.handshaken(
            new BioPair(
                certs,
                tls,
                MemoryTransport.DEFAULT_CAPACITY,
                t -> counted[0] = new CountingTransport(t)));
    int readsBefore = counted[0].reads;
    var c = p.client.shutdown(ShutdownSpec.bidirectional()).toFuture();
    p.executor.poll().run(); // the first step only (TLS 1.3 tickets may be waiting: read next step)
    assertThat(p.client.shutdownState().sent()).isTrue();
    assertThat(counted[0].reads - readsBefore)
        .as("reads in the step that sent close_notify")
        .isZero();
    assertThat(c).isNotDone();
    var s = p.server.shutdown(ShutdownSpec.bidirectional().waitPeer()).toFuture();
    p.pump();
    assertThat(done(c).outcome()).isEqualTo(Outcome.COMPLETE);
    assertThat(counted[0].reads - readsBefore).as("the answer was read").isPositive();
    done(s);
  }

  /** Counts the reads an engine makes on its transport. */
  static final class CountingTransport implements TlsTransport {
    final TlsTransport delegate;
    int reads;

    CountingTransport(TlsTransport delegate) {
      this.delegate = delegate;
    }

    @Override
    public java.util.concurrent.Executor executor() {
      return delegate.executor();
    }

    @Override
    public int read(java.nio.ByteBuffer dst) throws java.io.IOException {
      reads++;
      return delegate.read(dst);
    }

    @Override
    public int write(java.nio.ByteBuffer src) throws java.io.IOException {
      return delegate.write(src);
    }

    @Override
    public void awaitReadiness(boolean forWrite, Runnable onReady) {
      delegate.awaitReadiness(forWrite, onReady);
    }

    @Override
    public void cancelReadiness(Runnable onReady) {
      delegate.cancelReadiness(onReady);
    }

    @Override
    public void close() {
      delegate.close();
    }

    @Override
    public boolean isOpen() {
      return delegate.isOpen();
    }

    @Override
    public String describe() {
      return delegate.describe();
    }
  }

  // T5: refusing to read pending data is UNREAD_DATA, and the data stays for a later reader.
  @Tag("T5")
  @Test
  void refusingPendingDataIsUnreadDataAndKeepsIt() {
    BioPair p = BioPair.handshaken(certs, "1.3");
    var w = p.server.send(utf8("keep-me")).toFuture();
    p.pump();
    done(w);
    var refused = p.client.shutdown(ShutdownSpec.bidirectional()).toFuture();
    p.pump();
    assertThat(failure(refused).reason()).isEqualTo(Reason.UNREAD_DATA);
    StringBuilder got = new StringBuilder();
    var c =
        p.client
            .shutdown(
                ShutdownSpec.bidirectional()
                    .readInto(b -> got.append(StandardCharsets.UTF_8.decode(b))))
            .toFuture();
    var s = p.server.shutdown(ShutdownSpec.bidirectional().discardUnread()).toFuture();
    p.pump();
    assertThat(got.toString()).isEqualTo("keep-me");
    assertThat(done(c).outcome()).isEqualTo(Outcome.COMPLETE);
    done(s);
  }

  // T6: fast sends close_notify and does not wait; the result marks the truncation risk.
  @Tag("T6")
  @Test
  void fastSendsAndDoesNotWait() {
    BioPair p = BioPair.handshaken(certs, "1.3");
    p.serverToClientOpen = false; // the peer's answer would never arrive
    var c = p.client.shutdown(ShutdownSpec.bidirectional().fast()).toFuture();
    long sent = p.pump();
    ShutdownResult r = done(c);
    assertThat(sent).isPositive();
    assertThat(r.outcome()).isEqualTo(Outcome.SENT);
    assertThat(r.truncationRisk()).isTrue();
    assertThat(r.sessionResumable()).isTrue();
  }

  // T7: quiet sends nothing and completes at once, marked quiet.
  @Tag("T7")
  @Test
  void quietSendsNothingAndCompletesAtOnce() {
    BioPair p = BioPair.handshaken(certs, "1.3");
    var c = p.client.shutdown(ShutdownSpec.bidirectional().quiet()).toFuture();
    long sent = p.pump();
    ShutdownResult r = done(c);
    assertThat(sent).isZero();
    assertThat(r.outcome()).isEqualTo(Outcome.COMPLETE);
    assertThat(r.quiet()).isTrue();
    assertThat(r.state()).isEqualTo(ShutdownState.SENT_AND_RECEIVED);
  }

  // T8: EOF without close_notify is TRUNCATED; with ignore-unexpected-EOF it is the peer's close.
  @Tag("T8")
  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void unexpectedEof(boolean ignore) {
    BioPair p = BioPair.handshaken(certs, "1.3");
    ShutdownSpec spec = ShutdownSpec.bidirectional();
    var c = p.client.shutdown(ignore ? spec.ignoreUnexpectedEof() : spec).toFuture();
    p.pump();
    p.clientSide.endOfInput();
    p.pump();
    if (ignore) {
      ShutdownResult r = done(c);
      assertThat(r.outcome()).isEqualTo(Outcome.COMPLETE);
      assertThat(r.unauthenticatedEof()).isTrue();
      assertThat(r.state()).isEqualTo(ShutdownState.SENT_AND_RECEIVED);
    } else {
      ShutdownException e = failure(c);
      assertThat(e.reason()).isEqualTo(Reason.TRUNCATED);
      assertThat(e.state()).isEqualTo(ShutdownState.SENT);
    }
  }

  // T11 and bad input: garbage during the wait ends as PROTOCOL at once; later calls are refused.
  @Tag("T11")
  @ParameterizedTest
  @ValueSource(strings = {"garbage", "bad-record"})
  void badInputIsProtocolThenIllegalState(String kind) {
    BioPair p = BioPair.handshaken(certs, "1.3");
    var c = p.client.shutdown(ShutdownSpec.bidirectional()).toFuture();
    p.pump();
    byte[] bytes;
    if (kind.equals("garbage")) {
      // what a confused plaintext client sends; its "record length" is 0x202f, so send that much
      bytes =
          ("GET / HTTP/1.1\r\nHost: x\r\n" + "X-Pad: y\r\n".repeat(1000))
              .getBytes(StandardCharsets.US_ASCII);
    } else { // a well-formed application_data record header with a payload that fails the AEAD tag
      bytes = new byte[5 + 64];
      bytes[0] = 23;
      bytes[1] = 3;
      bytes[2] = 3;
      bytes[4] = 64;
    }
    p.clientSide.offer(ByteBuffer.wrap(bytes));
    p.pump();
    assertThat(failure(c).reason()).isEqualTo(Reason.PROTOCOL);
    var again = p.client.shutdown(ShutdownSpec.bidirectional().fast()).toFuture();
    p.pump();
    assertThat(failure(again).reason()).isEqualTo(Reason.ILLEGAL_STATE);
    assertThat(p.clientSide.isAwaitingReadiness()).isFalse();
  }

  // T12: after SENT a second shutdown waits for the peer; after COMPLETE it returns at once;
  // nothing is sent twice.
  @Tag("T12")
  @Test
  void repeatedShutdownContinuesFromState() {
    BioPair p = BioPair.handshaken(certs, "1.3");
    var first = p.client.shutdown(ShutdownSpec.bidirectional().fast()).toFuture();
    long closeBytes = p.pump();
    assertThat(done(first).outcome()).isEqualTo(Outcome.SENT);
    var second = p.client.shutdown(ShutdownSpec.bidirectional()).toFuture();
    assertThat(p.pump()).as("no second close_notify").isZero();
    assertThat(second).isNotDone();
    var s = p.server.shutdown(ShutdownSpec.bidirectional()).toFuture();
    assertThat(p.pump()).isZero();
    assertThat(done(second).outcome()).isEqualTo(Outcome.COMPLETE);
    done(s);
    var third = p.client.shutdown(ShutdownSpec.bidirectional().fast()).toFuture();
    assertThat(p.pump()).isZero();
    assertThat(done(third).outcome()).isEqualTo(Outcome.COMPLETE);
    assertThat(closeBytes).isPositive();
  }

  // T12: concurrent subscribers share one exchange and one close_notify.
  @Tag("T12")
  @Test
  void concurrentSubscribersShareOneExchange() {
    BioPair p = BioPair.handshaken(certs, "1.3");
    ShutdownSpec spec = ShutdownSpec.bidirectional();
    Mono<ShutdownResult> m = p.client.shutdown(spec);
    var a = m.toFuture();
    var b = m.toFuture();
    var other = p.client.shutdown(spec).toFuture();
    long sent = p.pump();
    var s = p.server.shutdown(ShutdownSpec.bidirectional()).toFuture();
    p.pump();
    assertThat(done(a)).isSameAs(done(b)).isSameAs(done(other));
    done(s);
    // the single close_notify alert record: 5-byte header + encrypted alert and tag
    BioPair solo = BioPair.handshaken(certs, "1.3");
    solo.client.shutdown(ShutdownSpec.bidirectional().fast()).toFuture();
    assertThat(sent).isEqualTo(solo.pump());
  }

  // T13: over a memory transport WANT_WRITE waits until the caller takes bytes, then steps again.
  // The close_notify goes out after the data of a send already in flight, never in its middle.
  @Tag("T13")
  @Test
  void memoryTransportWaitsForCallerToMoveBytes() {
    BioPair p = BioPair.handshaken(certs, "1.3");
    var w = p.client.send(ByteBuffer.allocate(200_000)).toFuture();
    p.executor.runAll(); // the outbound side fills up: WANT_WRITE
    assertThat(w).isNotDone();
    assertThat(p.clientSide.isAwaitingReadiness()).isTrue();
    var c = p.client.shutdown(ShutdownSpec.bidirectional().fast()).toFuture();
    p.executor.runAll();
    assertThat(c).isNotDone();
    var sink = p.server.receive().map(ByteBuffer::remaining).reduce(0, Integer::sum).toFuture();
    p.pump();
    done(w);
    assertThat(done(c).outcome()).isEqualTo(Outcome.SENT);
    assertThat(done(sink)).isEqualTo(200_000);
  }

  // T13 over a memory transport, and the memory target of BENCHMARKS.md: record buffers are held
  // only while
  // they hold bytes. An idle connection and a shutdown waiting for the peer's close_notify hold
  // none; a close_notify the transport has not taken yet keeps its buffer until it is written.
  @Tag("T13")
  @ParameterizedTest
  @ValueSource(strings = {"1.2", "1.3"})
  void pendingShutdownHoldsNoRecordBuffers(String tls) {
    BioPair p = BioPair.handshaken(certs, tls);
    assertThat(p.client.bufferCapacity()).as("idle after the handshake").isZero();
    var c = p.client.shutdown(ShutdownSpec.bidirectional()).toFuture();
    p.executor.runAll(); // our close_notify is handed to the memory transport; the peer is silent
    assertThat(c).isNotDone();
    assertThat(p.client.shutdownState()).isEqualTo(ShutdownState.SENT);
    assertThat(p.client.bufferCapacity()).as("waiting for the peer").isZero();

    BioPair full = BioPair.handshaken(certs, tls);
    var w = full.client.send(ByteBuffer.allocate(200_000)).toFuture();
    full.executor.runAll(); // the transport is full: bytes wait in our buffer
    assertThat(w).isNotDone();
    assertThat(full.client.bufferCapacity()).as("unwritten bytes keep their buffer").isPositive();
    full.pump();
    done(w);
    assertThat(full.client.bufferCapacity()).as("given back once written").isZero();
  }

  // T13 and the memory target, continued: the buffers a connection keeps because they hold
  // bytes (a record not yet written, a record received in part) are its own. Other connections
  // served by the same thread meanwhile borrow the thread's scratch buffers and must not touch
  // those bytes: every byte arrives, in order, on both connections.
  @Tag("T13")
  @Test
  void keptBytesSurviveOtherConnectionsOnTheSameThread() {
    byte[] pattern = new byte[200_000];
    for (int i = 0; i < pattern.length; i++) {
      pattern[i] = (byte) (i * 31 + 7);
    }
    BioPair full = BioPair.handshaken(certs, "1.3");
    var received = allBytes(full.server);
    var w = full.client.send(ByteBuffer.wrap(pattern)).toFuture();
    full.executor.runAll();
    assertThat(full.client.bufferCapacity()).as("a record not yet written").isPositive();
    ByteBuffer moved = full.clientSide.take();
    full.serverSide.offer(moved.slice().limit(1000)); // a record in part
    full.executor.runAll();
    assertThat(full.server.bufferCapacity()).as("a record received in part").isPositive();

    BioPair other = BioPair.handshaken(certs, "1.3"); // on the same thread: borrows the scratch
    byte[] fives = new byte[50_000];
    Arrays.fill(fives, (byte) 0x55);
    var otherReceived = allBytes(other.server);
    var ow = other.client.send(ByteBuffer.wrap(fives)).toFuture();
    other.pump();
    done(ow);
    other.client.shutdown(ShutdownSpec.bidirectional().fast()).toFuture();
    other.pump();
    assertThat(done(otherReceived)).isEqualTo(fives);

    full.serverSide.offer(moved.position(1000));
    full.pump();
    done(w);
    assertThat(full.client.bufferCapacity()).isZero();
    full.client.shutdown(ShutdownSpec.bidirectional().fast()).toFuture();
    full.pump();
    assertThat(done(received)).isEqualTo(pattern);
    assertThat(full.server.bufferCapacity()).isZero();
  }

  // R1: nothing happens before subscription.
  @Tag("R1")
  @Test
  void nothingIsSentBeforeSubscription() {
    BioPair p = BioPair.handshaken(certs, "1.3");
    Mono<ShutdownResult> m = p.client.shutdown(ShutdownSpec.bidirectional().fast());
    assertThat(p.pump()).isZero();
    assertThat(p.client.shutdownState()).isEqualTo(ShutdownState.NONE);
    m.toFuture();
    assertThat(p.pump()).isPositive();
  }

  // R2: cancelling stops the wait, deregisters, and keeps the state truthful.
  @Tag("R2")
  @Test
  void cancellationStopsWaitingAndKeepsState() {
    BioPair p = BioPair.handshaken(certs, "1.3");
    p.serverToClientOpen = false;
    AtomicReference<Object> signal = new AtomicReference<>();
    Disposable d =
        p.client.shutdown(ShutdownSpec.bidirectional()).subscribe(signal::set, signal::set);
    p.pump();
    assertThat(p.clientSide.isAwaitingReadiness()).isTrue();
    d.dispose();
    p.pump();
    assertThat(p.clientSide.isAwaitingReadiness()).isFalse();
    assertThat(p.client.shutdownState()).isEqualTo(ShutdownState.SENT);
    assertThat(signal.get()).isNull();
    assertThat(p.clientSide.isOpen()).isTrue();
  }

  // R2: the cancel policy may close the transport.
  @Tag("R2")
  @Test
  void cancellationClosesTransportUnderCloseOnAbort() {
    BioPair p = BioPair.handshaken(certs, "1.3");
    Disposable d =
        p.client
            .shutdown(ShutdownSpec.bidirectional().closeTransport(TransportPolicy.CLOSE_ON_ABORT))
            .subscribe();
    p.pump();
    d.dispose();
    p.pump();
    assertThat(p.clientSide.isOpen()).isFalse();
  }

  // R3, T5 deadline: a silent peer ends in TIMEOUT exactly at the deadline, on virtual time.
  @Tag("T5")
  @Tag("R3")
  @Test
  void silentPeerTimesOutAtDeadlineOnVirtualTime() {
    BioPair p = BioPair.handshaken(certs, "1.3");
    StepVerifier.withVirtualTime(
            () -> p.client.shutdown(ShutdownSpec.bidirectional().timeout(Duration.ofSeconds(30))))
        .expectSubscription()
        .then(p::pump)
        .expectNoEvent(Duration.ofSeconds(29))
        .thenAwait(Duration.ofSeconds(1))
        .then(p::pump) // the test thread is the loop: the deadline's ending is decided there
        .expectErrorSatisfies(
            e -> {
              assertThat(e).isInstanceOf(ShutdownException.class);
              assertThat(((ShutdownException) e).reason()).isEqualTo(Reason.TIMEOUT);
              assertThat(((ShutdownException) e).state()).isEqualTo(ShutdownState.SENT);
            })
        .verify(VERIFY);
    p.pump();
    assertThat(p.clientSide.isAwaitingReadiness()).isFalse();
  }

  // R3: the elapsed time in the result comes from the spec's scheduler clock.
  @Tag("R3")
  @Test
  void elapsedIsMeasuredOnTheInjectedClock() {
    BioPair p = BioPair.handshaken(certs, "1.3");
    StepVerifier.withVirtualTime(() -> p.client.shutdown(ShutdownSpec.bidirectional()))
        .expectSubscription()
        .then(p::pump)
        .thenAwait(Duration.ofSeconds(3))
        .then(() -> p.server.shutdown(ShutdownSpec.bidirectional()).subscribe())
        .then(p::pump)
        .assertNext(r -> assertThat(r.elapsed()).isEqualTo(Duration.ofSeconds(3)))
        .expectComplete()
        .verify(java.time.Duration.ofSeconds(10));
  }

  // QUIC's modes are refused over TLS with a typed error, nothing sent.
  @Test
  void quicModesAreInvalidOverTls() {
    BioPair p = BioPair.handshaken(certs, "1.3");
    var c = p.client.shutdown(ShutdownSpec.bidirectional().rapid()).toFuture();
    assertThat(p.pump()).isZero();
    assertThat(failure(c).reason()).isEqualTo(Reason.INVALID_ARGUMENT);
    assertThat(p.client.shutdownState()).isEqualTo(ShutdownState.NONE);
  }

  // SSL_set_shutdown: SENT set by hand means no close_notify is sent; bits are never cleared.
  @Tag("T1")
  @Test
  void setShutdownStateSentSuppressesCloseNotify() {
    BioPair p = BioPair.handshaken(certs, "1.3");
    var set = p.client.setShutdownState(ShutdownState.SENT).toFuture();
    p.pump();
    done(set);
    var c = p.client.shutdown(ShutdownSpec.bidirectional().fast()).toFuture();
    assertThat(p.pump()).isZero();
    assertThat(done(c).outcome()).isEqualTo(Outcome.SENT);
    var clear = p.client.setShutdownState(ShutdownState.NONE).toFuture();
    p.pump();
    assertThatThrownBy(clear::join).hasCauseInstanceOf(IllegalArgumentException.class);
  }
}
