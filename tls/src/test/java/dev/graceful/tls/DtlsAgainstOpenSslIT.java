package dev.graceful.tls;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graceful.core.Initiator;
import dev.graceful.core.LoopGroup;
import dev.graceful.core.Outcome;
import dev.graceful.core.ShutdownException.Reason;
import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.core.ShutdownState;
import dev.graceful.testkit.LossyRelay;
import dev.graceful.testkit.PeerProcess;
import dev.graceful.testkit.TestCerts;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import reactor.core.scheduler.Schedulers;

/** T14: graceful as a DTLS 1.2 client, real {@code openssl s_server -dtls1_2} as the peer. */
@Tag("T14")
class DtlsAgainstOpenSslIT {
  static final Duration WAIT = Duration.ofSeconds(20);
  static LoopGroup loops;
  static TestCerts certs;

  @BeforeAll
  static void setUp() {
    loops = LoopGroup.create(1);
    certs = TestCerts.create();
  }

  @AfterAll
  static void tearDown() {
    loops.shutdown().block(WAIT);
  }

  static TlsConnection connect(int port) {
    return TlsConnection.connectDatagram(
            new InetSocketAddress("127.0.0.1", port),
            certs.dtlsClient(),
            loops,
            e -> {},
            Schedulers.parallel())
        .block(WAIT);
  }

  static PeerProcess server(int port) {
    PeerProcess p = PeerProcess.server(port, certs, "-dtls1_2", "-naccept", "1");
    return p;
  }

  // T14, T2: our close_notify over DTLS is answered: COMPLETE.
  @Tag("T2")
  @Test
  void localCloseIsAnswered() {
    int port = PeerProcess.freePort();
    try (PeerProcess server = server(port)) {
      TlsConnection c = connect(port);
      assertThat(c.protocol()).isEqualTo("DTLSv1.2");
      c.send(ByteBuffer.wrap("hello-dtls\n".getBytes(StandardCharsets.UTF_8))).block(WAIT);
      server.awaitLine("hello-dtls", WAIT);
      ShutdownResult r =
          c.shutdown(ShutdownSpec.bidirectional().timeout(Duration.ofSeconds(5))).block(WAIT);
      assertThat(r.outcome()).isEqualTo(Outcome.COMPLETE);
      assertThat(r.initiator()).isEqualTo(Initiator.LOCAL);
      assertThat(r.state()).isEqualTo(ShutdownState.SENT_AND_RECEIVED);
      server.awaitLine("DONE", WAIT);
      c.release().block(WAIT);
    }
  }

  // T14: a silent peer (stopped): the wait ends at the deadline, with our close_notify out.
  @Test
  void silentPeerEndsAtDeadline() {
    int port = PeerProcess.freePort();
    try (PeerProcess server = server(port)) {
      TlsConnection c = connect(port);
      server.signal("STOP");
      assertThat(
              Failures.reason(
                  c.shutdown(ShutdownSpec.bidirectional().timeout(Duration.ofMillis(500))), WAIT))
          .isEqualTo(Reason.TIMEOUT);
      assertThat(c.shutdownState()).isEqualTo(ShutdownState.SENT);
      c.release().block(WAIT);
    }
  }

  // T6 over DTLS: fast sends close_notify only; s_server sees it.
  @Tag("T6")
  @Test
  void fastSendsCloseNotify() {
    int port = PeerProcess.freePort();
    try (PeerProcess server = server(port)) {
      TlsConnection c = connect(port);
      ShutdownResult r = c.shutdown(ShutdownSpec.bidirectional().fast()).block(WAIT);
      assertThat(r.outcome()).isEqualTo(Outcome.SENT);
      server.awaitLine("DONE", WAIT);
      c.release().block(WAIT);
    }
  }

  // T7 over DTLS: quiet sends nothing; s_server still waits (it got nothing).
  @Tag("T7")
  @Test
  void quietSendsNothing() {
    int port = PeerProcess.freePort();
    try (PeerProcess server = server(port)) {
      TlsConnection c = connect(port);
      c.send(ByteBuffer.wrap("before-quiet\n".getBytes(StandardCharsets.UTF_8))).block(WAIT);
      server.awaitLine("before-quiet", WAIT);
      ShutdownResult r = c.shutdown(ShutdownSpec.bidirectional().quiet()).block(WAIT);
      assertThat(r.quiet()).isTrue();
      assertThat(r.outcome()).isEqualTo(Outcome.COMPLETE);
      c.release().block(WAIT);
      server.send("after\n"); // s_server is still in the connection: it writes, nothing ends it
      assertThat(server.output()).doesNotContain("DONE");
    }
  }

  // T14 with loss: a relay drops the peer's close_notify. The result says our close went out and
  // the deadline came (settleAtDeadline), not that the peer answered.
  @Test
  void lostCloseNotifyAnswerSettlesAtDeadline() {
    int port = PeerProcess.freePort();
    try (PeerProcess server = server(port);
        LossyRelay relay =
            new LossyRelay(
                new InetSocketAddress("127.0.0.1", port),
                (toServer, d) -> !toServer && LossyRelay.isAlert(d))) {
      TlsConnection c =
          TlsConnection.connectDatagram(
                  relay.address(), certs.dtlsClient(), loops, e -> {}, Schedulers.parallel())
              .block(WAIT);
      ShutdownResult r =
          c.shutdown(
                  ShutdownSpec.bidirectional().timeout(Duration.ofMillis(700)).settleAtDeadline())
              .block(WAIT);
      assertThat(r.outcome()).isEqualTo(Outcome.SENT);
      assertThat(r.deadlineReached()).isTrue();
      server.awaitLine("DONE", WAIT); // the peer did get ours, and answered into the void
      assertThat(relay.dropped.get()).isPositive();
      c.release().block(WAIT);
    }
  }

  // T14 with loss during the handshake: every other datagram is dropped both ways at first; the
  // retransmission timers carry the handshake through, then the close completes.
  @Test
  void lossyHandshakeCompletesByRetransmission() {
    int port = PeerProcess.freePort();
    java.util.concurrent.atomic.AtomicInteger n = new java.util.concurrent.atomic.AtomicInteger();
    try (PeerProcess server = server(port);
        LossyRelay relay =
            new LossyRelay(
                new InetSocketAddress("127.0.0.1", port),
                (toServer, d) -> n.incrementAndGet() <= 6 && n.get() % 2 == 1)) {
      TlsConnection c =
          TlsConnection.connectDatagram(
                  relay.address(), certs.dtlsClient(), loops, e -> {}, Schedulers.parallel())
              .block(WAIT);
      assertThat(relay.dropped.get()).isPositive();
      ShutdownResult r =
          c.shutdown(ShutdownSpec.bidirectional().timeout(Duration.ofSeconds(5))).block(WAIT);
      assertThat(r.outcome()).isEqualTo(Outcome.COMPLETE);
      server.awaitLine("DONE", WAIT);
      c.release().block(WAIT);
    }
  }

  final java.util.concurrent.BlockingQueue<TlsConnection> accepted =
      new java.util.concurrent.LinkedBlockingQueue<>();

  /** graceful's DTLS server on an ephemeral port, its connections queued in {@code into}. */
  static DtlsServer dtlsServer(java.util.concurrent.BlockingQueue<TlsConnection> into) {
    DtlsServer dtls =
        DtlsServer.bind(
                new InetSocketAddress("127.0.0.1", 0),
                certs.dtlsServer(),
                loops,
                e -> {},
                Schedulers.parallel())
            .block(WAIT);
    dtls.connections().subscribe(into::add);
    return dtls;
  }

  // T14, T3 with graceful as the DTLS server: s_client closes first; we answer.
  @Tag("T3")
  @Test
  void serverAnswersPeerInitiatedClose() throws Exception {
    DtlsServer dtls = dtlsServer(accepted);
    try (PeerProcess client =
        PeerProcess.start(
            "s_client", "-dtls1_2", "-connect", "127.0.0.1:" + dtls.address().getPort())) {
      TlsConnection c = accepted.poll(20, java.util.concurrent.TimeUnit.SECONDS);
      assertThat(c).isNotNull();
      client.send("dtls-words\n");
      client.closeStdin();
      StringBuilder got = new StringBuilder();
      ShutdownResult r =
          c.shutdown(
                  ShutdownSpec.bidirectional()
                      .waitPeer()
                      .timeout(Duration.ofSeconds(5))
                      .readInto(b -> got.append(StandardCharsets.UTF_8.decode(b))))
              .block(WAIT);
      assertThat(got.toString()).isEqualTo("dtls-words\n");
      assertThat(r.outcome()).isEqualTo(Outcome.COMPLETE);
      assertThat(r.initiator()).isEqualTo(Initiator.PEER);
      assertThat(client.awaitExit(WAIT)).isZero();
      c.release().block(WAIT);
    } finally {
      dtls.close().block(WAIT);
    }
  }

  // T14, T2 with graceful as the DTLS server: our close_notify, s_client answers and exits.
  @Tag("T2")
  @Test
  void serverInitiatedCloseIsAnswered() throws Exception {
    DtlsServer dtls = dtlsServer(accepted);
    try (PeerProcess client =
        PeerProcess.start(
            "s_client", "-dtls1_2", "-connect", "127.0.0.1:" + dtls.address().getPort())) {
      TlsConnection c = accepted.poll(20, java.util.concurrent.TimeUnit.SECONDS);
      assertThat(c).isNotNull();
      ShutdownResult r =
          c.shutdown(ShutdownSpec.bidirectional().timeout(Duration.ofSeconds(5))).block(WAIT);
      assertThat(r.outcome()).isEqualTo(Outcome.COMPLETE);
      assertThat(r.initiator()).isEqualTo(Initiator.LOCAL);
      assertThat(client.awaitExit(WAIT)).isZero();
      c.release().block(WAIT);
    } finally {
      dtls.close().block(WAIT);
    }
  }
}
