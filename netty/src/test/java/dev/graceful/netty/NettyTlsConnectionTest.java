package dev.graceful.netty;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graceful.core.Outcome;
import dev.graceful.core.ShutdownException;
import dev.graceful.core.ShutdownException.Reason;
import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.core.ShutdownState;
import dev.graceful.testkit.TestCerts;
import io.netty.handler.ssl.SslProvider;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import reactor.core.publisher.Flux;
import reactor.test.scheduler.VirtualTimeScheduler;

/**
 * {@link NettyTlsConnection} keeps the contract of graceful's own TLS connections, on two embedded
 * channels with real {@code SslHandler}s between them: unread data, late data, truncation risk, the
 * peer's alerts and what a failed connection refuses. Deadlines run on virtual time.
 */
class NettyTlsConnectionTest {
  static TestCerts certs;
  VirtualTimeScheduler vts;

  @BeforeAll
  static void certs() {
    certs = TestCerts.create();
  }

  @BeforeEach
  void clock() {
    vts = VirtualTimeScheduler.create();
  }

  ShutdownSpec bidirectional() {
    return ShutdownSpec.bidirectional().timeout(Duration.ofSeconds(10)).scheduler(vts);
  }

  static <T> T done(CompletableFuture<T> f) throws Exception {
    assertThat(f).as("ended").isDone();
    return f.get(0, TimeUnit.SECONDS);
  }

  static ShutdownException failure(CompletableFuture<?> f) {
    assertThat(f).as("ended").isDone();
    try {
      f.get(0, TimeUnit.SECONDS);
      throw new AssertionError("expected a ShutdownException, got " + f.join());
    } catch (ExecutionException e) {
      assertThat(e.getCause()).isInstanceOf(ShutdownException.class);
      return (ShutdownException) e.getCause();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  static String text(ByteBuffer b) {
    return StandardCharsets.UTF_8.decode(b).toString();
  }

  // T5: without readInto or discardUnread, data arriving after our close_notify ends the shutdown
  // with UNREAD_DATA, as graceful's own connections do, and stays readable: it reached the
  // application's handler. A later shutdown that discards goes on waiting, and completes.
  @Tag("T5")
  @ParameterizedTest
  @ValueSource(strings = {"TLSv1.2", "TLSv1.3"})
  void refusedLateDataIsUnreadDataAndStaysReadable(String protocol) throws Exception {
    try (EmbeddedTlsPair p = EmbeddedTlsPair.handshaken(certs, SslProvider.JDK, protocol)) {
      var first = p.connection.shutdown(bidirectional()).toFuture();
      p.server.runPendingTasks(); // our close_notify is written, not yet moved
      p.clientWrites("late");
      p.toServer();
      ShutdownException e = failure(first);
      assertThat(e.reason()).isEqualTo(Reason.UNREAD_DATA);
      assertThat(e.state()).isEqualTo(ShutdownState.SENT);
      assertThat(p.serverApplication).hasToString("late");

      var second = p.connection.shutdown(bidirectional().discardUnread()).toFuture();
      p.pump(); // the client reads our close_notify
      p.clientClosesOutbound();
      p.pump();
      ShutdownResult r = done(second);
      assertThat(r.outcome()).isEqualTo(Outcome.COMPLETE);
      assertThat(r.state()).isEqualTo(ShutdownState.SENT_AND_RECEIVED);
    }
  }

  // T5 with the consumer callback: the late data goes to readInto's consumer, not to the
  // application, and the shutdown completes at the peer's close_notify.
  @Tag("T5")
  @Test
  void lateDataGoesToTheReadIntoConsumer() throws Exception {
    try (EmbeddedTlsPair p = EmbeddedTlsPair.handshaken(certs, SslProvider.JDK, "TLSv1.3")) {
      StringBuilder late = new StringBuilder();
      var shutdown =
          p.connection.shutdown(bidirectional().readInto(b -> late.append(text(b)))).toFuture();
      p.server.runPendingTasks();
      p.clientWrites("late");
      p.clientClosesOutbound();
      p.pump();
      assertThat(done(shutdown).outcome()).isEqualTo(Outcome.COMPLETE);
      assertThat(done(shutdown).bytesRead()).isEqualTo(4);
      assertThat(late).hasToString("late");
      assertThat(p.serverApplication).isEmpty();
    }
  }

  // T5 as a Flux: receive() beside a shutdown gets the data that arrives after our close_notify,
  // then completes at the peer's close_notify, when the shutdown completes too.
  @Tag("T5")
  @Test
  void lateDataArrivesOnReceiveAndTheShutdownCompletes() throws Exception {
    try (EmbeddedTlsPair p = EmbeddedTlsPair.handshaken(certs, SslProvider.JDK, "TLSv1.3")) {
      var received =
          p.connection.receive().map(NettyTlsConnectionTest::text).collectList().toFuture();
      var shutdown = p.connection.shutdown(bidirectional()).toFuture();
      p.server.runPendingTasks();
      p.clientWrites("late");
      p.toServer();
      assertThat(received).isNotDone();
      p.clientClosesOutbound();
      p.pump();
      assertThat(done(received)).containsExactly("late");
      assertThat(done(shutdown).outcome()).isEqualTo(Outcome.COMPLETE);
      assertThat(p.serverApplication).isEmpty();
    }
  }

  // T3 and T8 for receive(): it ends at the peer's close_notify, and errors with TRUNCATED when
  // the transport ends without one.
  @Tag("T3")
  @Tag("T8")
  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  void receiveEndsAtThePeersCloseNotifyAndIsTruncatedWithoutIt(boolean closeNotify)
      throws Exception {
    try (EmbeddedTlsPair p = EmbeddedTlsPair.handshaken(certs, SslProvider.JDK, "TLSv1.3")) {
      var received =
          p.connection.receive().map(NettyTlsConnectionTest::text).collectList().toFuture();
      p.server.runPendingTasks();
      p.clientWrites("data");
      if (closeNotify) {
        p.clientClosesOutbound();
        p.toServer();
        assertThat(done(received)).containsExactly("data");
        assertThat(p.connection.shutdownState().received()).isTrue();
      } else {
        p.toServer();
        p.transportEnds();
        assertThat(failure(received).reason()).isEqualTo(Reason.TRUNCATED);
      }
    }
  }

  // T6: a fast shutdown sends and does not wait, and its result says the peer's data may have
  // been cut (truncationRisk), as graceful's own connections say; one the peer answered does not.
  @Tag("T6")
  @ParameterizedTest
  @ValueSource(strings = {"TLSv1.2", "TLSv1.3"})
  void fastShutdownCarriesTruncationRisk(String protocol) throws Exception {
    try (EmbeddedTlsPair p = EmbeddedTlsPair.handshaken(certs, SslProvider.JDK, protocol)) {
      var fast =
          p.connection.shutdown(ShutdownSpec.bidirectional().fast().scheduler(vts)).toFuture();
      p.server.runPendingTasks();
      ShutdownResult sent = done(fast);
      assertThat(sent.outcome()).isEqualTo(Outcome.SENT);
      assertThat(sent.truncationRisk()).isTrue();

      var answered = p.connection.shutdown(bidirectional()).toFuture();
      p.pump();
      p.clientClosesOutbound();
      p.pump();
      ShutdownResult complete = done(answered);
      assertThat(complete.outcome()).isEqualTo(Outcome.COMPLETE);
      assertThat(complete.truncationRisk()).isFalse();
    }
  }

  // T6, T11: a fatal alert the peer sends while a shutdown (or receive()) waits ends it with
  // PROTOCOL naming the alert, not TRUNCATED, and counts as the peer's close (RECEIVED). The alert
  // is read from the record bytes: BoringSSL, outside a shutdown, closes at it without reporting
  // any exception at all.
  @Tag("T6")
  @Tag("T11")
  @ParameterizedTest
  @CsvSource({
    "JDK, TLSv1.2, shutdown",
    "JDK, TLSv1.3, shutdown",
    "OPENSSL, TLSv1.2, shutdown",
    "OPENSSL, TLSv1.3, shutdown",
    "JDK, TLSv1.3, receive",
    "OPENSSL, TLSv1.2, receive",
    "OPENSSL, TLSv1.3, receive"
  })
  void peersFatalAlertIsProtocolNamingTheAlert(
      SslProvider provider, String protocol, String waiting) throws Exception {
    if (provider == SslProvider.OPENSSL) {
      NettyEngines.requireBoringSsl();
    }
    try (EmbeddedTlsPair p = EmbeddedTlsPair.handshaken(certs, provider, protocol)) {
      var ended =
          waiting.equals("shutdown")
              ? p.connection.shutdown(bidirectional()).toFuture()
              : p.connection.receive().then().toFuture();
      p.server.runPendingTasks();
      p.rawToServer(
          (byte) 21, (byte) 3, (byte) 3, (byte) 0, (byte) 2, (byte) 2,
          (byte) 40); // fatal handshake_failure
      ShutdownException e = failure(ended);
      assertThat(e.reason()).isEqualTo(Reason.PROTOCOL);
      assertThat(e).hasMessageContaining("the peer sent fatal alert handshake_failure (40)");
      assertThat(p.connection.shutdownState().received()).isTrue();
    }
  }

  // T11: once the connection failed, the first shutdown hears why (PROTOCOL), and every later
  // one, as a later receive(), is refused with ILLEGAL_STATE, quiet included.
  @Tag("T11")
  @Test
  void afterTheConnectionFailedShutdownsAreRefused() throws Exception {
    try (EmbeddedTlsPair p = EmbeddedTlsPair.handshaken(certs, SslProvider.JDK, "TLSv1.3")) {
      p.rawToServer(
          (byte) 21, (byte) 3, (byte) 3, (byte) 0, (byte) 2, (byte) 2,
          (byte) 48); // fatal unknown_ca
      var first = p.connection.shutdown(bidirectional().fast()).toFuture();
      p.server.runPendingTasks();
      ShutdownException e = failure(first);
      assertThat(e.reason()).isEqualTo(Reason.PROTOCOL);
      assertThat(e).hasMessageContaining("unknown_ca (48)");
      var again = p.connection.shutdown(bidirectional()).toFuture();
      var quiet = p.connection.shutdown(ShutdownSpec.bidirectional().quiet()).toFuture();
      var received = p.connection.receive().then().toFuture();
      p.server.runPendingTasks();
      assertThat(failure(again).reason()).isEqualTo(Reason.ILLEGAL_STATE);
      assertThat(failure(quiet).reason()).isEqualTo(Reason.ILLEGAL_STATE);
      assertThat(failure(received).reason()).isEqualTo(Reason.ILLEGAL_STATE);
    }
  }

  // T11: a record that does not decrypt is PROTOCOL too, without claiming an alert: the peer's
  // close was not received.
  @Tag("T11")
  @ParameterizedTest
  @ValueSource(strings = {"JDK", "OPENSSL"})
  void badRecordIsProtocolWithoutAnAlert(SslProvider provider) throws Exception {
    if (provider == SslProvider.OPENSSL) {
      NettyEngines.requireBoringSsl();
    }
    try (EmbeddedTlsPair p = EmbeddedTlsPair.handshaken(certs, provider, "TLSv1.3")) {
      var shutdown = p.connection.shutdown(bidirectional()).toFuture();
      p.server.runPendingTasks();
      byte[] record = new byte[5 + 64];
      record[0] = 23;
      record[1] = 3;
      record[2] = 3;
      record[4] = 64;
      p.rawToServer(record);
      ShutdownException e = failure(shutdown);
      assertThat(e.reason()).isEqualTo(Reason.PROTOCOL);
      assertThat(e).hasMessageNotContaining("the peer sent");
      assertThat(e.state()).isEqualTo(ShutdownState.SENT);
    }
  }

  // T11: the peer's engine sends a real fatal alert (it could not decrypt what it got). TLS 1.2
  // sends it encrypted in an alert record: the peer's alert, its description hidden; TLS 1.3 hides
  // even that it is an alert: a failure of the TLS layer. Either is PROTOCOL, never TRUNCATED.
  @Tag("T11")
  @ParameterizedTest
  @CsvSource({
    "TLSv1.2, the peer sent an encrypted alert",
    "TLSv1.3, the TLS engine failed on the peer's input"
  })
  void peersEncryptedAlertIsProtocol(String protocol, String words) throws Exception {
    try (EmbeddedTlsPair p = EmbeddedTlsPair.handshaken(certs, SslProvider.JDK, protocol)) {
      var received = p.connection.receive().then().toFuture();
      byte[] record = new byte[5 + 64];
      record[0] = 23;
      record[1] = 3;
      record[2] = 3;
      record[4] = 64;
      p.rawToClient(record); // the client's engine fails, and sends its alert
      p.toServer();
      ShutdownException e = failure(received);
      assertThat(e.reason()).isEqualTo(Reason.PROTOCOL);
      assertThat(e).hasMessageContaining(words);
    }
  }

  // T5's late data reaches receive() only while it is subscribed: before, and after it is
  // cancelled, the application's handlers read it.
  @Tag("T5")
  @Test
  void cancelledReceiveLeavesTheDataToTheApplication() throws Exception {
    try (EmbeddedTlsPair p = EmbeddedTlsPair.handshaken(certs, SslProvider.JDK, "TLSv1.3")) {
      Flux<String> data = p.connection.receive().map(NettyTlsConnectionTest::text);
      var first = data.next().toFuture();
      p.server.runPendingTasks();
      p.clientWrites("one");
      p.toServer();
      assertThat(done(first)).isEqualTo("one");
      p.server.runPendingTasks(); // the cancel reaches the event loop
      p.clientWrites("two");
      p.toServer();
      assertThat(p.serverApplication).hasToString("two");
    }
  }
}
