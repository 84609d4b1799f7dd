package dev.graceful.tls;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graceful.core.Initiator;
import dev.graceful.core.LoopGroup;
import dev.graceful.core.Outcome;
import dev.graceful.core.ShutdownException.Reason;
import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.core.ShutdownState;
import dev.graceful.core.TransportPolicy;
import dev.graceful.testkit.PeerProcess;
import dev.graceful.testkit.TestCerts;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** graceful as a TLS client, real {@code openssl s_server} as the peer, TLS 1.2 and 1.3. */
class ClientAgainstOpenSslServerIT {
  static final Duration WAIT = Duration.ofSeconds(15);
  static LoopGroup loops;
  static TestCerts certs;

  @BeforeAll
  static void setUp() {
    loops = LoopGroup.create(2);
    certs = TestCerts.create();
  }

  @AfterAll
  static void tearDown() {
    loops.shutdown().block(WAIT);
  }

  static TlsConnection connect(int port, String tls) {
    return connect(port, tls, certs.client());
  }

  static TlsConnection connect(int port, String tls, SSLContext ctx) {
    return TlsConnection.connect(
            new InetSocketAddress("127.0.0.1", port),
            ctx,
            loops,
            e -> e.setEnabledProtocols(new String[] {"TLSv" + tls}))
        .block(WAIT);
  }

  static ByteBuffer utf8(String s) {
    return ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
  }

  // T2, T5: our close_notify first; the peer answers; COMPLETE, initiated locally.
  @Tag("T2")
  @Tag("T4")
  @Tag("T5")
  @ParameterizedTest
  @ValueSource(strings = {"1.2", "1.3"})
  void completesWhenPeerAnswersCloseNotify(String tls) {
    int port = PeerProcess.freePort();
    try (PeerProcess server = PeerProcess.server(port, certs, "-naccept", "1")) {
      TlsConnection c = connect(port, tls);
      assertThat(c.protocol()).isEqualTo("TLSv" + tls);
      c.send(utf8("hello-from-graceful\n")).block(WAIT);
      server.awaitLine("hello-from-graceful", WAIT);

      ShutdownResult r = c.shutdown(ShutdownSpec.bidirectional().timeout(WAIT)).block(WAIT);

      assertThat(r.outcome()).isEqualTo(Outcome.COMPLETE);
      assertThat(r.state()).isEqualTo(ShutdownState.SENT_AND_RECEIVED);
      assertThat(r.initiator()).isEqualTo(Initiator.LOCAL);
      assertThat(r.truncationRisk()).isFalse();
      server.awaitLine("DONE", WAIT); // s_server saw our close_notify as SSL_ERROR_ZERO_RETURN
      // T4: the transport is still open after the exchange.
      assertThat(c.transport().isOpen()).isTrue();
      // T2: writes are refused after our close_notify.
      assertThat(Failures.shutdownError(c.send(utf8("late")), WAIT))
          .satisfies(e -> assertThat(e.reason()).isEqualTo(Reason.ILLEGAL_STATE));
      c.release().block(WAIT);
    }
  }

  // T6: fast sends close_notify and does not wait: SENT; the peer did receive it.
  @Tag("T6")
  @ParameterizedTest
  @ValueSource(strings = {"1.2", "1.3"})
  void fastShutdownSendsWithoutWaiting(String tls) {
    int port = PeerProcess.freePort();
    try (PeerProcess server = PeerProcess.server(port, certs, "-naccept", "1")) {
      TlsConnection c = connect(port, tls);
      ShutdownResult r =
          c.shutdown(ShutdownSpec.bidirectional().fast().closeTransport(TransportPolicy.CLOSE))
              .block(WAIT);
      assertThat(r.outcome()).isEqualTo(Outcome.SENT);
      assertThat(r.state()).isEqualTo(ShutdownState.SENT);
      assertThat(r.truncationRisk()).isTrue();
      server.awaitLine("DONE", WAIT);
      assertThat(server.output()).doesNotContain("unexpected eof");
    }
  }

  // T7: quiet sends nothing: the peer sees a bare EOF, and we report COMPLETE at once.
  @Tag("T7")
  @ParameterizedTest
  @ValueSource(strings = {"1.2", "1.3"})
  void quietShutdownSendsNothing(String tls) {
    int port = PeerProcess.freePort();
    try (PeerProcess server = PeerProcess.server(port, certs, "-naccept", "1")) {
      TlsConnection c = connect(port, tls);
      ShutdownResult r =
          c.shutdown(ShutdownSpec.bidirectional().quiet().closeTransport(TransportPolicy.CLOSE))
              .block(WAIT);
      assertThat(r.outcome()).isEqualTo(Outcome.COMPLETE);
      assertThat(r.quiet()).isTrue();
      assertThat(r.state()).isEqualTo(ShutdownState.SENT_AND_RECEIVED);
      server.awaitLine("unexpected eof", WAIT);
    }
  }

  // T8: the peer closes TCP without close_notify (s_server's 'q' closes the socket first).
  @Tag("T8")
  @Tag("T11")
  @ParameterizedTest
  @ValueSource(strings = {"1.2", "1.3"})
  void transportEofWithoutCloseNotifyIsTruncated(String tls) {
    int port = PeerProcess.freePort();
    try (PeerProcess server = PeerProcess.server(port, certs, "-naccept", "1")) {
      TlsConnection c = connect(port, tls);
      server.send("q\n");
      server.awaitExit(WAIT);
      assertThat(
              Failures.shutdownError(
                  c.shutdown(ShutdownSpec.bidirectional().waitPeer().discardUnread().timeout(WAIT)),
                  WAIT))
          .satisfies(
              e -> {
                assertThat(e.reason()).isEqualTo(Reason.TRUNCATED);
                assertThat(e.state().received()).isFalse();
              });
      // T11: after that fatal error a shutdown is refused.
      assertThat(Failures.shutdownError(c.shutdown(ShutdownSpec.bidirectional().fast()), WAIT))
          .satisfies(e -> assertThat(e.reason()).isEqualTo(Reason.ILLEGAL_STATE));
      c.release().block(WAIT);
    }
  }

  // T8: with ignore-unexpected-EOF the bare EOF counts as the peer's close, flagged
  // unauthenticated.
  @Tag("T8")
  @ParameterizedTest
  @ValueSource(strings = {"1.2", "1.3"})
  void ignoredUnexpectedEofCountsAsPeerClose(String tls) {
    int port = PeerProcess.freePort();
    try (PeerProcess server = PeerProcess.server(port, certs, "-naccept", "1")) {
      TlsConnection c = connect(port, tls);
      server.send("q\n");
      server.awaitExit(WAIT);
      ShutdownResult r =
          c.shutdown(
                  ShutdownSpec.bidirectional().ignoreUnexpectedEof().discardUnread().timeout(WAIT))
              .block(WAIT);
      assertThat(r.outcome()).isEqualTo(Outcome.COMPLETE);
      assertThat(r.unauthenticatedEof()).isTrue();
      assertThat(r.state().received()).isTrue();
      c.release().block(WAIT);
    }
  }

  // TIMEOUT: a live but silent peer (SIGSTOP) never answers; the deadline ends the wait.
  @Tag("T12")
  @Tag("R2")
  @ParameterizedTest
  @ValueSource(strings = {"1.2", "1.3"})
  void silentPeerTimesOutAtDeadline(String tls) {
    int port = PeerProcess.freePort();
    try (PeerProcess server = PeerProcess.server(port, certs, "-naccept", "1")) {
      TlsConnection c = connect(port, tls);
      server.signal("STOP");
      assertThat(
              Failures.shutdownError(
                  c.shutdown(ShutdownSpec.bidirectional().timeout(Duration.ofMillis(300))), WAIT))
          .satisfies(
              e -> {
                assertThat(e.reason()).isEqualTo(Reason.TIMEOUT);
                assertThat(e.state()).isEqualTo(ShutdownState.SENT);
              });
      // R2: state stays truthful after the timeout
      assertThat(c.shutdownState()).isEqualTo(ShutdownState.SENT);
      server.signal("CONT");
      // T12: a second shutdown after SENT goes on to wait for the peer, and now it answers.
      ShutdownResult r = c.shutdown(ShutdownSpec.bidirectional().timeout(WAIT)).block(WAIT);
      assertThat(r.outcome()).isEqualTo(Outcome.COMPLETE);
      c.release().block(WAIT);
    }
  }

  // T5: data the peer sent that arrives after our close_notify is delivered, then COMPLETE.
  @Tag("T5")
  @ParameterizedTest
  @ValueSource(strings = {"1.2", "1.3"})
  void dataArrivingWhileWaitingIsDeliveredThenComplete(String tls) throws Exception {
    int port = PeerProcess.freePort();
    try (PeerProcess server = PeerProcess.server(port, certs, "-naccept", "1")) {
      TlsConnection c = connect(port, tls);
      byte[] line = ("x".repeat(999) + "\n").getBytes(StandardCharsets.US_ASCII);
      for (int i = 0; i < 64; i++) {
        server.stdin().write(line);
      }
      server.stdin().flush();
      AtomicLong delivered = new AtomicLong();
      ShutdownResult r =
          c.shutdown(
                  ShutdownSpec.bidirectional()
                      .readInto(b -> delivered.addAndGet(b.remaining()))
                      .timeout(WAIT))
              .block(WAIT);
      assertThat(r.outcome()).isEqualTo(Outcome.COMPLETE);
      assertThat(delivered.get()).isPositive().isEqualTo(r.bytesRead());
      c.release().block(WAIT);
    }
  }

  // T5: a caller that refuses to read gets UNREAD_DATA while data is pending; nothing is lost.
  @Tag("T5")
  @ParameterizedTest
  @ValueSource(strings = {"1.2", "1.3"})
  void refusingToReadPendingDataIsUnreadData(String tls) {
    int port = PeerProcess.freePort();
    try (PeerProcess server = PeerProcess.server(port, certs, "-naccept", "1")) {
      TlsConnection c = connect(port, tls);
      server.send("pending-data\n");
      assertThat(
              Failures.shutdownError(c.shutdown(ShutdownSpec.bidirectional().timeout(WAIT)), WAIT))
          .satisfies(e -> assertThat(e.reason()).isEqualTo(Reason.UNREAD_DATA));
      StringBuilder got = new StringBuilder();
      ShutdownResult r =
          c.shutdown(
                  ShutdownSpec.bidirectional()
                      .readInto(b -> got.append(StandardCharsets.UTF_8.decode(b)))
                      .timeout(WAIT))
              .block(WAIT);
      assertThat(got.toString()).isEqualTo("pending-data\n");
      assertThat(r.outcome()).isEqualTo(Outcome.COMPLETE);
      c.release().block(WAIT);
    }
  }
}
