package dev.graceful.samples;

import static dev.graceful.samples.CommandLineIT.WAIT;
import static dev.graceful.samples.CommandLineIT.graceful;
import static dev.graceful.samples.CommandLineIT.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.graceful.core.LoopGroup;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.testkit.PeerProcess;
import dev.graceful.testkit.TestCerts;
import dev.graceful.tls.TlsServer;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;

/**
 * {@code probe} as a user runs it, against real servers whose endings are known: openssl's
 * s_server, a reactor-netty HTTPS server without graceful, graceful's own TLS server and its QUIC
 * server. Each test checks that the rows say what the server really did.
 */
class ProbeCommandIT {
  static TestCerts certs;

  @BeforeAll
  static void certs() {
    certs = TestCerts.create();
  }

  /** Runs probe to its end: its exit code, and its rows by {@code scenario version}. */
  record Run(int exit, Map<String, JsonNode> rows, String output) {
    JsonNode row(String scenario, String version) {
      JsonNode r = rows.get(scenario + " " + version);
      assertThat(r).as("row %s %s in:%n%s", scenario, version, output).isNotNull();
      return r;
    }
  }

  static Run finish(PeerProcess probe) throws Exception {
    int exit = probe.awaitExit(WAIT.multipliedBy(2));
    List<JsonNode> lines = json(probe);
    assertThat(lines).as(probe.tail()).hasSize(1);
    Map<String, JsonNode> rows = new LinkedHashMap<>();
    for (JsonNode r : lines.get(0).get("probe").get("rows")) {
      rows.put(r.get("scenario").asText() + " " + r.get("version").asText(), r);
    }
    return new Run(exit, rows, probe.output());
  }

  static PeerProcess probe(int port, String... extra) {
    List<String> args =
        new ArrayList<>(
            List.of("probe", "127.0.0.1:" + port, "--cacert", certs.certFile().toString()));
    args.addAll(List.of(extra));
    return graceful(args.toArray(String[]::new));
  }

  // s_server answers our close_notify (T2, T5 bidirectional); with -www it answers the request and
  // then closes first with its close_notify (T3); idle, it never closes; it resumes sessions after
  // a
  // clean close, in TLS 1.3 from the tickets read while waiting for its answer (T9, T10).
  @Tag("T2")
  @Tag("T3")
  @Tag("T9")
  @Tag("T10")
  @Test
  void opensslServerAnswersAndClosesHttpWithCloseNotify() throws Exception {
    int port = PeerProcess.freePort();
    try (PeerProcess server = PeerProcess.server(port, certs, "-www");
        PeerProcess probe = probe(port, "--http", "/", "--timeout", "1s")) {
      Run run = finish(probe);
      assertThat(server.output()).contains("ACCEPT");
      assertThat(run.exit()).as(run.output()).isZero();
      assertThat(run.output()).contains("scenario", "close-first", "answered close_notify");
      for (String v : List.of("1.2", "1.3")) {
        JsonNode close = run.row("close-first", v);
        assertThat(close.get("protocol").asText()).isEqualTo("TLSv" + v);
        assertThat(close.get("closeNotify").asBoolean()).isTrue();
        assertThat(close.get("serverClosedFirst").asBoolean()).isFalse();
        assertThat(close.get("verdict").asText()).isEqualTo("answered close_notify");

        JsonNode http = run.row("http-close", v);
        assertThat(http.get("serverClosedFirst").asBoolean()).isTrue();
        assertThat(http.get("closeNotify").asBoolean()).isTrue();
        assertThat(http.get("truncated").asBoolean()).isFalse();
        assertThat(http.get("bytesRead").asLong()).isPositive(); // s_server's status page

        JsonNode idle = run.row("idle", v);
        assertThat(idle.get("timedOut").asBoolean()).isTrue();
        assertThat(idle.get("serverClosedFirst").asBoolean()).isFalse();
        assertThat(idle.get("elapsedMs").asLong()).isBetween(900L, 5_000L);

        assertThat(run.row("resume-after-clean", v).get("resumed").asBoolean()).isTrue();
      }
      // TLS 1.2: the session ID is cached once the handshake ends, so a fast close keeps it too
      assertThat(run.row("resume-after-fast", "1.2").get("resumed").asBoolean()).isTrue();
    }
  }

  // A reactor-netty HTTPS server without graceful: it answers our close_notify (T5 on our side),
  // and after a "Connection: close" exchange closes first with its close_notify (T3). disposeNow
  // closes only its listening socket: an accepted idle connection stays open and hears nothing
  // from the server until our deadline.
  @Tag("T3")
  @Tag("T5")
  @ParameterizedTest
  @ValueSource(strings = {"1.2", "1.3"})
  void reactorNettyServerDisposedLeavesIdleConnectionOpen(String version) throws Exception {
    SslContext ssl =
        SslContextBuilder.forServer(certs.cert().keys().getPrivate(), certs.cert().certificate())
            .build();
    DisposableServer server =
        HttpServer.create()
            .host("127.0.0.1")
            .port(0)
            .secure(s -> s.sslContext(ssl))
            .handle((req, res) -> res.sendString(Mono.just("hello")))
            .bindNow(Duration.ofSeconds(10));
    try (PeerProcess probe =
        probe(server.port(), "--tls", version, "--http", "/", "--timeout", "3s")) {
      probe.awaitLine("idle " + version + ": connected", WAIT);
      server.disposeNow(Duration.ofSeconds(10));
      assertThat(server.isDisposed()).isTrue();
      Run run = finish(probe);
      assertThat(run.exit()).as(run.output()).isZero();

      JsonNode close = run.row("close-first", version);
      assertThat(close.get("closeNotify").asBoolean()).isTrue();
      assertThat(close.get("serverClosedFirst").asBoolean()).isFalse();

      JsonNode http = run.row("http-close", version);
      assertThat(http.get("serverClosedFirst").asBoolean()).isTrue();
      assertThat(http.get("closeNotify").asBoolean()).isTrue();
      assertThat(http.get("truncated").asBoolean()).isFalse();
      assertThat(http.get("bytesRead").asLong()).isPositive(); // the response, "hello" in it

      JsonNode idle = run.row("idle", version);
      assertThat(idle.get("timedOut").asBoolean()).as(run.output()).isTrue();
      assertThat(idle.get("serverClosedFirst").asBoolean()).isFalse();
      assertThat(idle.get("closeNotify").asBoolean()).isFalse();
      assertThat(idle.get("elapsedMs").asLong()).isGreaterThanOrEqualTo(2_900L);
      assertThat(idle.get("verdict").asText()).isEqualTo("nothing by the deadline");
    } finally {
      server.disposeNow(Duration.ofSeconds(10));
    }
  }

  // graceful's own TLS server, waiting 700 ms for its client and then closing first itself: our
  // close is answered at once (T3 on its side), and an idle connection is closed first, cleanly,
  // after those 700 ms (T2 on its side).
  @Tag("T2")
  @Tag("T3")
  @Test
  void gracefulServerAnswersAndClosesIdleConnectionsCleanly() throws Exception {
    LoopGroup loops = LoopGroup.create(1);
    TlsServer server =
        TlsServer.bind(new InetSocketAddress("127.0.0.1", 0), certs.server(), loops, e -> {})
            .block(WAIT);
    server
        .connections()
        .subscribe(
            c ->
                c.shutdown(
                        ShutdownSpec.bidirectional()
                            .waitPeer()
                            .timeout(Duration.ofMillis(700))
                            .discardUnread())
                    .onErrorResume(
                        e ->
                            c.shutdown(
                                ShutdownSpec.bidirectional()
                                    .timeout(Duration.ofSeconds(5))
                                    .discardUnread()))
                    .onErrorResume(e -> Mono.empty())
                    .then(c.release())
                    .subscribe());
    try (PeerProcess probe = probe(server.address().getPort(), "--timeout", "5s")) {
      Run run = finish(probe);
      assertThat(run.exit()).as(run.output()).isZero();
      for (String v : List.of("1.2", "1.3")) {
        JsonNode close = run.row("close-first", v);
        assertThat(close.get("closeNotify").asBoolean()).isTrue();
        assertThat(close.get("serverClosedFirst").asBoolean()).isFalse();
        assertThat(close.get("elapsedMs").asLong()).isLessThan(700L);

        JsonNode idle = run.row("idle", v);
        assertThat(idle.get("serverClosedFirst").asBoolean()).isTrue();
        assertThat(idle.get("closeNotify").asBoolean()).isTrue();
        assertThat(idle.get("truncated").asBoolean()).isFalse();
        assertThat(idle.get("verdict").asText()).isEqualTo("closed first with close_notify");
        assertThat(idle.get("elapsedMs").asLong()).isBetween(500L, 4_000L);
      }
    } finally {
      server.stopAccepting().block(WAIT);
      loops.shutdown().block(WAIT);
    }
  }

  // QUIC: graceful's quic-server closes each connection at once with code 7 and reason "bye": the
  // probe waiting for it (Q8) reports that code and reason (Q1).
  @Tag("Q1")
  @Tag("Q8")
  @Test
  void quicServerCodeAndReasonSeenWhenWaiting() throws Exception {
    int port = QuicCommandLineIT.freeUdpPort();
    try (PeerProcess server =
            QuicCommandLineIT.server(
                port, certs, "--accept", "2", "--error-code", "7", "--reason", "bye");
        PeerProcess probe =
            probe(
                port, "--tls", "none", "--quic", "--servername", "localhost", "--timeout", "5s")) {
      Run run = finish(probe);
      assertThat(run.exit()).as(run.output()).isZero();
      JsonNode waiting = run.row("quic-wait-peer", "quic");
      assertThat(waiting.get("serverClosedFirst").asBoolean()).isTrue();
      assertThat(waiting.get("peerErrorCode").asLong()).isEqualTo(7);
      assertThat(waiting.get("peerReason").asText()).isEqualTo("bye");
      assertThat(run.row("quic-close-first", "quic").get("protocol").asText()).isEqualTo("QUICv1");
      assertThat(server.awaitExit(WAIT)).as(server.output()).isZero(); // its two connections ended
    }
  }

  // Bad arguments exit 2 with a usage message; a server that is not there is a scenario that
  // could not run, exit 1.
  @Test
  void badArgumentsAndUnreachableServer() throws Exception {
    try (PeerProcess p = graceful("probe", "127.0.0.1:1", "--tls", "1.4")) {
      assertThat(p.awaitExit(WAIT)).isEqualTo(2);
      assertThat(p.output()).contains("--tls must be 1.2, 1.3, both or none", "Usage:");
    }
    try (PeerProcess p =
        graceful("probe", "127.0.0.1:1", "--insecure", "--cacert", certs.certFile().toString())) {
      assertThat(p.awaitExit(WAIT)).isEqualTo(2);
      assertThat(p.output()).contains("--insecure and --cacert contradict each other");
    }
    int port = PeerProcess.freePort();
    try (PeerProcess p = probe(port, "--tls", "1.3")) {
      Run run = finish(p);
      assertThat(run.exit()).isEqualTo(1);
      assertThat(run.row("close-first", "1.3").get("error").asText()).isNotEmpty();
      assertThat(run.output()).contains("could not run");
    }
  }
}
