package dev.graceful.tls;

import static dev.graceful.tls.ClientAgainstOpenSslServerIT.WAIT;
import static dev.graceful.tls.ClientAgainstOpenSslServerIT.utf8;
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
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** graceful as a TLS server, real {@code openssl s_client} as the peer, TLS 1.2 and 1.3. */
class ServerAgainstOpenSslClientIT {
  static LoopGroup loops;
  static TestCerts certs;
  TlsServer server;
  final java.util.concurrent.BlockingQueue<TlsConnection> accepted =
      new java.util.concurrent.LinkedBlockingQueue<>();

  @BeforeAll
  static void setUpAll() {
    loops = LoopGroup.create(2);
    certs = TestCerts.create();
  }

  @AfterAll
  static void tearDownAll() {
    loops.shutdown().block(WAIT);
  }

  @BeforeEach
  void bind() {
    server =
        TlsServer.bind(new InetSocketAddress("127.0.0.1", 0), certs.server(), loops, e -> {})
            .block(WAIT);
    server.connections().subscribe(accepted::add);
  }

  @AfterEach
  void unbind() {
    server.stopAccepting().block(WAIT);
  }

  PeerProcess client(String tls, String... extra) {
    java.util.List<String> args =
        new java.util.ArrayList<>(
            java.util.List.of(
                "s_client",
                "-connect",
                "127.0.0.1:" + server.address().getPort(),
                "-tls" + tls.replace('.', '_')));
    args.addAll(java.util.List.of(extra));
    return PeerProcess.start(args.toArray(String[]::new));
  }

  TlsConnection next() {
    try {
      TlsConnection c = accepted.poll(WAIT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
      assertThat(c).as("a connection was accepted").isNotNull();
      return c;
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
  }

  // T3: the peer's close_notify arrives after its data; all data is delivered first, then our
  // answer completes the exchange, initiated by the peer.
  @Tag("T3")
  @ParameterizedTest
  @ValueSource(strings = {"1.2", "1.3"})
  void peerInitiatedCloseDeliversDataThenCompletes(String tls) {
    try (PeerProcess peer = client(tls)) {
      TlsConnection c = next();
      peer.send("last-words-from-client\n");
      peer.closeStdin(); // s_client: stdin EOF -> SSL_shutdown (close_notify), then close
      StringBuilder got = new StringBuilder();
      ShutdownResult r =
          c.shutdown(
                  ShutdownSpec.bidirectional()
                      .waitPeer()
                      .readInto(b -> got.append(StandardCharsets.UTF_8.decode(b)))
                      .timeout(WAIT))
              .block(WAIT);
      assertThat(got.toString()).isEqualTo("last-words-from-client\n");
      assertThat(r.outcome()).isEqualTo(Outcome.COMPLETE);
      assertThat(r.initiator()).isEqualTo(Initiator.PEER);
      assertThat(r.state()).isEqualTo(ShutdownState.SENT_AND_RECEIVED);
      assertThat(peer.awaitExit(WAIT)).isZero();
      c.release().block(WAIT);
    }
  }

  // T3: receive() shows the peer's close_notify as the end of the stream, after all its data.
  @Tag("T1")
  @Tag("T3")
  @ParameterizedTest
  @ValueSource(strings = {"1.2", "1.3"})
  void peerCloseNotifyIsEndOfStream(String tls) {
    try (PeerProcess peer = client(tls)) {
      TlsConnection c = next();
      peer.send("abc\n");
      peer.closeStdin();
      String all =
          c.receive()
              .map(b -> StandardCharsets.UTF_8.decode(b).toString())
              .reduce("", String::concat)
              .block(WAIT);
      assertThat(all).isEqualTo("abc\n");
      assertThat(c.shutdownState()).isEqualTo(ShutdownState.RECEIVED);
      ShutdownResult r = c.shutdown(ShutdownSpec.bidirectional().timeout(WAIT)).block(WAIT);
      assertThat(r.outcome()).isEqualTo(Outcome.COMPLETE);
      assertThat(r.initiator()).isEqualTo(Initiator.PEER);
      c.release().block(WAIT);
    }
  }

  // T3 with TLS 1.3: half-close. After the peer's close_notify the application may still write,
  // then answer. (The JDK's TLS 1.2 engine refuses: it closes its outbound side itself.)
  @Tag("T3")
  @ParameterizedTest
  @ValueSource(strings = {"1.3"})
  void tls13HalfCloseAllowsWritingBeforeAnswering(String tls) {
    try (PeerProcess peer = client(tls)) {
      TlsConnection c = next();
      peer.closeStdin();
      c.receive().then().block(WAIT); // the peer's close_notify: RECEIVED
      assertThat(c.shutdownState()).isEqualTo(ShutdownState.RECEIVED);
      c.send(utf8("written-after-peer-closed\n")).block(WAIT);
      ShutdownResult r = c.shutdown(ShutdownSpec.bidirectional().timeout(WAIT)).block(WAIT);
      assertThat(r.outcome()).isEqualTo(Outcome.COMPLETE);
      c.release().block(WAIT);
    }
  }

  // JDK note (TLS 1.2): after the peer's close_notify the JDK engine refuses application writes.
  @Tag("T3")
  @ParameterizedTest
  @ValueSource(strings = {"1.2"})
  void tls12EngineRefusesWritesAfterPeerClose(String tls) {
    try (PeerProcess peer = client(tls)) {
      TlsConnection c = next();
      peer.closeStdin();
      c.receive().then().block(WAIT);
      assertThat(Failures.reason(c.send(utf8("too late\n")), WAIT)).isEqualTo(Reason.ILLEGAL_STATE);
      assertThat(c.shutdown(ShutdownSpec.bidirectional().timeout(WAIT)).block(WAIT).outcome())
          .isEqualTo(Outcome.COMPLETE);
      c.release().block(WAIT);
    }
  }

  // T2 from the server side: our close_notify, s_client answers and exits.
  @Tag("T2")
  @ParameterizedTest
  @ValueSource(strings = {"1.2", "1.3"})
  void serverInitiatedCloseIsAnswered(String tls) {
    try (PeerProcess peer = client(tls)) {
      TlsConnection c = next();
      c.send(utf8("from-graceful-server\n")).block(WAIT);
      peer.awaitLine("from-graceful-server", WAIT);
      ShutdownResult r = c.shutdown(ShutdownSpec.bidirectional().timeout(WAIT)).block(WAIT);
      assertThat(r.outcome()).isEqualTo(Outcome.COMPLETE);
      assertThat(r.initiator()).isEqualTo(Initiator.LOCAL);
      assertThat(peer.awaitExit(WAIT)).isZero();
      c.release().block(WAIT);
    }
  }

  // T8: the peer process dies: TCP closes without close_notify.
  @Tag("T8")
  @ParameterizedTest
  @ValueSource(strings = {"1.2", "1.3"})
  void killedPeerIsTruncated(String tls) {
    try (PeerProcess peer = client(tls)) {
      TlsConnection c = next();
      // Let s_client read everything first (tickets included): a socket closed with unread data
      // sends RST, which is a TRANSPORT error, not a clean FIN.
      c.send(utf8("drained\n")).block(WAIT);
      peer.awaitLine("drained", WAIT);
      peer.kill();
      assertThat(
              Failures.reason(
                  c.shutdown(ShutdownSpec.bidirectional().waitPeer().timeout(WAIT)), WAIT))
          .isEqualTo(Reason.TRUNCATED);
      c.release().block(WAIT);
    }
  }

  // T7 seen by the peer: a quiet shutdown plus transport close is a bare EOF to s_client.
  @Tag("T7")
  @ParameterizedTest
  @ValueSource(strings = {"1.2", "1.3"})
  void quietShutdownIsBareEofForPeer(String tls) {
    try (PeerProcess peer = client(tls)) {
      TlsConnection c = next();
      c.send(utf8("hi\n")).block(WAIT);
      peer.awaitLine("hi", WAIT);
      ShutdownResult r =
          c.shutdown(ShutdownSpec.bidirectional().quiet().closeTransport(TransportPolicy.CLOSE))
              .block(WAIT);
      assertThat(r.quiet()).isTrue();
      peer.awaitExit(WAIT);
      assertThat(peer.output()).contains("unexpected eof");
    }
  }

  // T10 from the server side: after a full shutdown s_client resumes its saved session.
  @Tag("T10")
  @ParameterizedTest
  @ValueSource(strings = {"1.2", "1.3"})
  void clientResumesAfterFullShutdown(String tls) throws Exception {
    Path sess = Files.createTempFile("graceful-sess", ".pem");
    try {
      try (PeerProcess peer = client(tls, "-sess_out", sess.toString())) {
        TlsConnection c = next();
        peer.closeStdin();
        assertThat(
                c.shutdown(ShutdownSpec.bidirectional().waitPeer().timeout(WAIT))
                    .block(WAIT)
                    .outcome())
            .isEqualTo(Outcome.COMPLETE);
        peer.awaitExit(WAIT);
        c.release().block(WAIT);
      }
      try (PeerProcess peer = client(tls, "-sess_in", sess.toString())) {
        TlsConnection c = next();
        peer.awaitLine("Reused, TLSv" + tls, WAIT);
        assertThat(c.resumed()).isTrue();
        peer.closeStdin();
        c.shutdown(ShutdownSpec.bidirectional().waitPeer().timeout(WAIT)).block(WAIT);
        c.release().block(WAIT);
      }
    } finally {
      Files.deleteIfExists(sess);
    }
  }
}
