package dev.graceful.samples;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.graceful.testkit.PeerProcess;
import dev.graceful.testkit.TestCerts;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The command line as a user runs it: {@code java -jar samples/target/graceful.jar ...} against
 * real {@code openssl} peers, asserting on its JSON lines and exit codes.
 */
class CommandLineIT {
  static final Duration WAIT = Duration.ofSeconds(30);
  static final ObjectMapper JSON = new ObjectMapper();
  static TestCerts certs;

  @BeforeAll
  static void certs() {
    certs = TestCerts.create();
  }

  static PeerProcess graceful(String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command().orElse("java"));
    cmd.add("-jar");
    cmd.add(Path.of("target", "graceful.jar").toAbsolutePath().toString());
    cmd.addAll(List.of(args));
    return PeerProcess.command(cmd);
  }

  /** The JSON lines of a finished run. */
  static List<JsonNode> json(PeerProcess p) throws Exception {
    List<JsonNode> out = new ArrayList<>();
    for (String line : p.output().split("\n")) {
      if (line.startsWith("{")) {
        out.add(JSON.readTree(line));
      }
    }
    return out;
  }

  // T2/T5 through tls-client: a full shutdown answered by s_server, both TLS versions.
  @Tag("T2")
  @Tag("T5")
  @ParameterizedTest
  @ValueSource(strings = {"1.2", "1.3"})
  void clientBidirectionalCompletes(String tls) throws Exception {
    int port = PeerProcess.freePort();
    try (PeerProcess server = PeerProcess.server(port, certs, "-naccept", "1");
        PeerProcess client =
            graceful(
                "tls-client",
                "--connect",
                "127.0.0.1:" + port,
                "--cacert",
                certs.certFile().toString(),
                "--tls",
                tls,
                "--send",
                "2000")) {
      assertThat(client.awaitExit(WAIT)).isZero();
      JsonNode o = json(client).get(0);
      assertThat(o.get("outcome").asText()).isEqualTo("COMPLETE");
      assertThat(o.get("state").toString()).isEqualTo("[\"SENT\",\"RECEIVED\"]");
      assertThat(o.get("initiator").asText()).isEqualTo("LOCAL");
      assertThat(o.get("mode").asText()).isEqualTo("bidirectional");
      assertThat(o.get("protocol").asText()).isEqualTo("TLSv" + tls);
      assertThat(o.get("elapsedMs").isNumber()).isTrue();
      assertThat(o.get("quiet").asBoolean()).isFalse();
      assertThat(o.get("peer").asText()).isEqualTo("127.0.0.1:" + port);
      assertThat(Instant.parse(o.get("time").asText()))
          .isBetween(Instant.now().minus(WAIT), Instant.now());
      server.awaitLine("DONE", WAIT);
    }
  }

  // T6, T7 through tls-client.
  @Tag("T6")
  @Tag("T7")
  @ParameterizedTest
  @ValueSource(strings = {"fast", "quiet"})
  void clientFastAndQuiet(String mode) throws Exception {
    int port = PeerProcess.freePort();
    try (PeerProcess server = PeerProcess.server(port, certs, "-naccept", "1");
        PeerProcess client =
            graceful(
                "tls-client",
                "--connect",
                "127.0.0.1:" + port,
                "--cacert",
                certs.certFile().toString(),
                "--mode",
                mode)) {
      assertThat(client.awaitExit(WAIT)).isZero();
      JsonNode o = json(client).get(0);
      assertThat(o.get("mode").asText()).isEqualTo(mode);
      assertThat(o.get("outcome").asText()).isEqualTo(mode.equals("fast") ? "SENT" : "COMPLETE");
      assertThat(o.get("quiet").asBoolean()).isEqualTo(mode.equals("quiet"));
      if (mode.equals("quiet")) {
        server.awaitLine("unexpected eof", WAIT);
      } else {
        server.awaitLine("DONE", WAIT);
      }
    }
  }

  // T8 through tls-client: s_server closes TCP without close_notify ('q'): error, exit 1;
  // with --ignore-unexpected-eof the same ending is an unauthenticated COMPLETE, exit 0.
  @Tag("T8")
  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void clientTruncation(boolean ignore) throws Exception {
    int port = PeerProcess.freePort();
    List<String> args =
        new ArrayList<>(
            List.of(
                "tls-client",
                "--connect",
                "127.0.0.1:" + port,
                "--cacert",
                certs.certFile().toString(),
                "--mode",
                "wait-peer"));
    if (ignore) {
      args.add("--ignore-unexpected-eof");
    }
    try (PeerProcess server = PeerProcess.server(port, certs, "-naccept", "1");
        PeerProcess client = graceful(args.toArray(String[]::new))) {
      server.awaitLine("CIPHER is", WAIT);
      server.send("q\n");
      int exit = client.awaitExit(WAIT);
      JsonNode o = json(client).get(0);
      if (ignore) {
        assertThat(exit).isZero();
        assertThat(o.get("outcome").asText()).isEqualTo("COMPLETE");
        assertThat(o.get("unauthenticatedEof").asBoolean()).isTrue();
        assertThat(o.get("initiator").asText()).isEqualTo("PEER");
      } else {
        assertThat(exit).isEqualTo(1);
        assertThat(o.get("error").asText()).isEqualTo("TRUNCATED");
        assertThat(o.get("message").asText()).contains("without a close_notify");
      }
    }
  }

  // Deadline through tls-client: a peer that never closes ends as TIMEOUT, exit 1.
  @Test
  void clientTimeout() throws Exception {
    int port = PeerProcess.freePort();
    try (PeerProcess server = PeerProcess.server(port, certs, "-naccept", "1");
        PeerProcess client =
            graceful(
                "tls-client",
                "--connect",
                "127.0.0.1:" + port,
                "--cacert",
                certs.certFile().toString(),
                "--mode",
                "wait-peer",
                "--timeout",
                "500ms")) {
      assertThat(client.awaitExit(WAIT)).isEqualTo(1);
      JsonNode o = json(client).get(0);
      assertThat(o.get("error").asText()).isEqualTo("TIMEOUT");
      assertThat(o.get("state").toString()).isEqualTo("[]");
      assertThat(server.output()).doesNotContain("DONE"); // the peer never saw a close from us
    }
  }

  // T10 through tls-client --repeat: the second connection resumes.
  @Tag("T10")
  @Test
  void clientRepeatResumes() throws Exception {
    int port = PeerProcess.freePort();
    try (PeerProcess server = PeerProcess.server(port, certs, "-naccept", "2");
        PeerProcess client =
            graceful(
                "tls-client",
                "--connect",
                "127.0.0.1:" + port,
                "--cacert",
                certs.certFile().toString(),
                "--repeat",
                "2",
                "--send",
                "10")) {
      assertThat(client.awaitExit(WAIT)).isZero();
      List<JsonNode> lines = json(client);
      assertThat(lines).hasSize(2);
      assertThat(lines.get(0).get("resumed").asBoolean()).isFalse();
      assertThat(lines.get(1).get("resumed").asBoolean()).isTrue();
      server.awaitExit(WAIT);
      assertThat(server.awaitLine("session cache hits", WAIT).trim()).startsWith("1 ");
    }
  }

  // T3 through tls-server: s_client sends and closes; wait-peer answers; COMPLETE, PEER.
  @Tag("T3")
  @Test
  void serverWaitPeerAnswersClientClose() throws Exception {
    int port = PeerProcess.freePort();
    try (PeerProcess server =
        graceful(
            "tls-server",
            "--port",
            Integer.toString(port),
            "--accept",
            "1",
            "--mode",
            "wait-peer")) {
      server.awaitLine("listening", WAIT);
      try (PeerProcess client =
          PeerProcess.start("s_client", "-connect", "127.0.0.1:" + port, "-quiet", "-no_ign_eof")) {
        client.send("twelve bytes");
        client.closeStdin();
        assertThat(server.awaitExit(WAIT)).isZero();
      }
      List<JsonNode> lines = json(server);
      JsonNode o = lines.get(0);
      assertThat(o.get("outcome").asText()).isEqualTo("COMPLETE");
      assertThat(o.get("initiator").asText()).isEqualTo("PEER");
      assertThat(o.get("bytesRead").asLong()).isEqualTo(12);
      assertThat(o.get("peer").asText()).matches("127\\.0\\.0\\.1:\\d+");
      assertThat(Instant.parse(o.get("time").asText()))
          .isBetween(Instant.now().minus(WAIT), Instant.now());
      assertThat(lines.get(1).get("summary").get("outcomes").get("COMPLETE").asInt()).isEqualTo(1);
    }
  }

  // T5 through both commands: the server sends, then closes; the client's bidirectional shutdown
  // reads every byte that arrives after its own close_notify, then completes.
  @Tag("T5")
  @Test
  void dataArrivingDuringShutdownIsCounted() throws Exception {
    int port = PeerProcess.freePort();
    try (PeerProcess server =
        graceful(
            "tls-server",
            "--port",
            Integer.toString(port),
            "--accept",
            "1",
            "--send",
            "300000",
            "--mode",
            "wait-peer",
            "--cert",
            certs.certFile().toString(),
            "--key",
            certs.keyFile().toString())) {
      server.awaitLine("listening", WAIT);
      try (PeerProcess client =
          graceful(
              "tls-client",
              "--connect",
              "127.0.0.1:" + port,
              "--cacert",
              certs.certFile().toString())) {
        assertThat(client.awaitExit(WAIT)).isZero();
        JsonNode o = json(client).get(0);
        assertThat(o.get("outcome").asText()).isEqualTo("COMPLETE");
        assertThat(o.get("bytesRead").asLong()).isEqualTo(300_000);
      }
      assertThat(server.awaitExit(WAIT)).isZero();
      assertThat(json(server).get(0).get("initiator").asText()).isEqualTo("PEER");
    }
  }

  // SIGTERM: tls-server --hold stops accepting, ends every open connection gracefully, prints
  // each object and the summary, exits 0.
  @Tag("G3")
  @Tag("G5")
  @Test
  void serverSigtermEndsHeldConnectionsGracefully() throws Exception {
    int port = PeerProcess.freePort();
    try (PeerProcess server =
        graceful("tls-server", "--port", Integer.toString(port), "--hold", "--send", "3000")) {
      server.awaitLine("listening", WAIT);
      try (PeerProcess a =
              PeerProcess.start("s_client", "-connect", "127.0.0.1:" + port, "-tls1_3");
          PeerProcess b =
              PeerProcess.start("s_client", "-connect", "127.0.0.1:" + port, "-tls1_2")) {
        a.awaitLine("Verify return code", WAIT);
        b.awaitLine("Verify return code", WAIT);
        a.send("from-a\n");
        server.signal("TERM");
        assertThat(server.awaitExit(WAIT)).as(() -> server.output()).isZero();
        a.awaitExit(WAIT);
        b.awaitExit(WAIT);
      }
      List<JsonNode> lines = json(server);
      assertThat(lines).hasSize(3);
      for (JsonNode o : lines.subList(0, 2)) {
        assertThat(o.get("outcome").asText()).isEqualTo("COMPLETE");
        assertThat(o.get("initiator").asText()).isEqualTo("LOCAL");
      }
      assertThat(lines.get(2).get("summary").get("connections").asInt()).isEqualTo(2);
    }
  }

  /**
   * A TLS client of the tls-server on {@code port} that handshakes and then never reads, with a
   * small receive buffer: a large send to it fills both socket buffers and stops.
   */
  static javax.net.ssl.SSLSocket clientThatNeverReads(int port) throws Exception {
    javax.net.ssl.SSLSocket s =
        (javax.net.ssl.SSLSocket) certs.client().getSocketFactory().createSocket();
    s.setReceiveBufferSize(4096);
    s.connect(new java.net.InetSocketAddress("127.0.0.1", port));
    s.startHandshake();
    return s;
  }

  // G4, G5: SIGTERM while a send to a client that never reads cannot finish: the shutdown still
  // ends within --timeout (and the force's second), the connection's line says how it ended (our
  // close_notify may have slipped in between two chunks of the send, or not), the summary
  // follows, and the process exits by itself with the code the line calls for.
  @Tag("G4")
  @Tag("G5")
  @Test
  void serverSigtermWhileAClientNeverReadsStillPrintsEveryLine() throws Exception {
    int port = PeerProcess.freePort();
    try (PeerProcess server =
        graceful(
            "tls-server",
            "--port",
            Integer.toString(port),
            "--send",
            "64000000",
            "--timeout",
            "2s",
            "--cert",
            certs.certFile().toString(),
            "--key",
            certs.keyFile().toString())) {
      server.awaitLine("listening", WAIT);
      javax.net.ssl.SSLSocket client = clientThatNeverReads(port);
      int exit;
      try {
        long start = System.nanoTime();
        server.signal("TERM");
        exit = server.awaitExit(WAIT);
        assertThat(Duration.ofNanos(System.nanoTime() - start))
            .as("--timeout, the force's 1 s, some slack")
            .isLessThan(Duration.ofSeconds(8));
      } finally {
        client.close();
      }
      List<JsonNode> lines = json(server);
      assertThat(lines).as(server::output).hasSize(2);
      JsonNode line = lines.get(0);
      if (line.has("error")) {
        assertThat(line.get("message").asText()).doesNotContain("null");
        assertThat(exit).isEqualTo(1);
      } else {
        assertThat(line.get("outcome").asText()).isEqualTo("SENT"); // forced: fast
        assertThat(exit).isZero();
      }
      assertThat(lines.get(1).get("summary").get("connections").asInt()).isEqualTo(1);
    }
  }

  // --timeout bounds the send phase too: a client that never reads a large send does not keep an
  // --accept 1 server forever; its line says the send timed out, then the summary, exit 1.
  @Test
  void serverTimeoutBoundsASendTheClientNeverReads() throws Exception {
    int port = PeerProcess.freePort();
    try (PeerProcess server =
        graceful(
            "tls-server",
            "--port",
            Integer.toString(port),
            "--accept",
            "1",
            "--send",
            "64000000",
            "--timeout",
            "2s",
            "--cert",
            certs.certFile().toString(),
            "--key",
            certs.keyFile().toString())) {
      server.awaitLine("listening", WAIT);
      javax.net.ssl.SSLSocket client = clientThatNeverReads(port);
      try {
        assertThat(server.awaitExit(WAIT)).as(server::output).isEqualTo(1);
      } finally {
        client.close();
      }
      List<JsonNode> lines = json(server);
      assertThat(lines).as(server::output).hasSize(2);
      assertThat(lines.get(0).get("error").asText()).isEqualTo("TIMEOUT");
      assertThat(lines.get(0).get("message").asText()).contains("sending").contains("PT2S");
      assertThat(lines.get(1).get("summary").get("errors").get("TIMEOUT").asInt()).isEqualTo(1);
    }
  }

  // T14 through dtls-client: a full close_notify exchange with openssl s_server -dtls1_2.
  @Tag("T14")
  @Test
  void dtlsClientCompletes() throws Exception {
    int port = PeerProcess.freePort();
    try (PeerProcess server = PeerProcess.server(port, certs, "-dtls1_2", "-naccept", "1")) {
      try (PeerProcess client =
          graceful(
              "dtls-client",
              "--connect",
              "127.0.0.1:" + port,
              "--cacert",
              certs.certFile().toString(),
              "--send",
              "700")) {
        assertThat(client.awaitExit(WAIT)).isZero();
        JsonNode o = json(client).get(0);
        assertThat(o.get("outcome").asText()).isEqualTo("COMPLETE");
        assertThat(o.get("protocol").asText()).isEqualTo("DTLSv1.2");
      }
      server.awaitLine("DONE", WAIT);
    }
  }

  // T14 through dtls-server: held DTLS connections are ended gracefully on SIGTERM.
  @Tag("T14")
  @Test
  void dtlsServerSigtermEndsHeldConnections() throws Exception {
    int port = PeerProcess.freePort();
    try (PeerProcess server =
        graceful("dtls-server", "--port", Integer.toString(port), "--hold", "--timeout", "3s")) {
      server.awaitLine("listening", WAIT);
      try (PeerProcess a =
          PeerProcess.start("s_client", "-dtls1_2", "-connect", "127.0.0.1:" + port)) {
        a.awaitLine("Verify return code", WAIT);
        a.send("dtls-hello\n");
        server.signal("TERM");
        assertThat(server.awaitExit(WAIT)).isZero();
        a.awaitExit(WAIT);
      }
      List<JsonNode> lines = json(server);
      assertThat(lines).hasSize(2);
      assertThat(lines.get(0).get("outcome").asText()).isEqualTo("COMPLETE");
      assertThat(lines.get(0).get("protocol").asText()).isEqualTo("DTLSv1.2");
      assertThat(lines.get(0).get("bytesRead").asLong()).isEqualTo(11);
      assertThat(lines.get(1).get("summary").get("connections").asInt()).isEqualTo(1);
    }
  }

  // Exit code 2 with a usage message for bad arguments.
  @ParameterizedTest
  @ValueSource(
      strings = {
        "tls-client --mode=rude",
        "tls-client --timeout=soon",
        "tls-client --tls=1.1",
        "tls-client --repeat=0",
        "dtls-client --tls=1.3",
        "tls-client --connect=nohostport",
        "tls-client --mode=rfc",
        "tls-client --mode=rapid",
        "dtls-client --mode=rapid",
        "tls-client --send=-5",
        "tls-client --timeout=999999999m",
        "tls-client --cert=cert.pem",
        "tls-client --servername=bad..name"
      })
  void badArgumentsExitTwo(String bad) throws Exception {
    String[] words = bad.split(" ");
    PeerProcess run =
        words[1].startsWith("--connect")
            ? graceful(words[0], words[1])
            : graceful(words[0], "--connect", "127.0.0.1:9", words[1]);
    try (PeerProcess p = run) {
      assertThat(p.awaitExit(WAIT)).isEqualTo(2);
      assertThat(p.output()).contains("Usage:");
      assertThat(p.output()).doesNotContain("should be specified only once");
    }
  }

  // S1 through tls-client: a certificate for another host is refused, a clear handshake error, exit
  // 1.
  @Tag("S1")
  @Test
  void clientRefusesACertificateForAnotherHost() throws Exception {
    TestCerts elsewhere = TestCerts.forNames("elsewhere.example");
    int port = PeerProcess.freePort();
    try (PeerProcess server = PeerProcess.server(port, elsewhere, "-naccept", "1");
        PeerProcess client =
            graceful(
                "tls-client",
                "--connect",
                "127.0.0.1:" + port,
                "--cacert",
                elsewhere.certFile().toString())) {
      assertThat(client.awaitExit(WAIT)).isEqualTo(1);
      JsonNode o = json(client).get(0);
      assertThat(o.get("error").asText()).isEqualTo("PROTOCOL");
      assertThat(o.get("message").asText())
          .contains("handshake failed")
          .contains("No subject alternative names matching IP address 127.0.0.1 found")
          .doesNotContain("cannot encrypt");
      assertThat(o.get("peer").asText()).isEqualTo("127.0.0.1:" + port);
      assertThat(o.get("time").asText()).isNotEmpty();
      server.awaitLine("alert", WAIT); // the client said why
    }
  }

  // S1: --servername names the host to verify and to send as SNI.
  @Tag("S1")
  @Test
  void servernameIsVerifiedInsteadOfTheConnectHost() throws Exception {
    TestCerts elsewhere = TestCerts.forNames("elsewhere.example");
    int port = PeerProcess.freePort();
    try (PeerProcess server = PeerProcess.server(port, elsewhere, "-naccept", "1", "-trace");
        PeerProcess client =
            graceful(
                "tls-client",
                "--connect",
                "127.0.0.1:" + port,
                "--cacert",
                elsewhere.certFile().toString(),
                "--servername",
                "elsewhere.example")) {
      assertThat(client.awaitExit(WAIT)).as(client::output).isZero();
      assertThat(json(client).get(0).get("outcome").asText()).isEqualTo("COMPLETE");
      assertThat(server.output()).contains("extension_type=server_name").contains(".elsewhere");
    }
  }

  // S1: without --cacert the JDK's anchors decide, and they do not know a self-signed certificate.
  @Tag("S1")
  @Test
  void clientVerifiesAgainstTheJdkAnchorsByDefault() throws Exception {
    int port = PeerProcess.freePort();
    try (PeerProcess server = PeerProcess.server(port, certs, "-naccept", "1");
        PeerProcess client = graceful("tls-client", "--connect", "127.0.0.1:" + port)) {
      assertThat(client.awaitExit(WAIT)).isEqualTo(1);
      JsonNode o = json(client).get(0);
      assertThat(o.get("error").asText()).isEqualTo("PROTOCOL");
      assertThat(o.get("message").asText()).contains("PKIX path");
      server.awaitLine("alert", WAIT); // the client refused the handshake, it did not just hang up
    }
  }

  // S1: --insecure is the only opt-out, and it says so on stderr, once.
  @Tag("S1")
  @Test
  void insecureAcceptsAnyCertificateAndWarns() throws Exception {
    TestCerts elsewhere = TestCerts.forNames("elsewhere.example");
    int port = PeerProcess.freePort();
    try (PeerProcess server = PeerProcess.server(port, elsewhere, "-naccept", "1");
        PeerProcess client =
            graceful("tls-client", "--connect", "127.0.0.1:" + port, "--insecure")) {
      assertThat(client.awaitExit(WAIT)).as(client::output).isZero();
      assertThat(json(client).get(0).get("outcome").asText()).isEqualTo("COMPLETE");
      assertThat(client.lines()).filteredOn(l -> l.contains("WARNING: --insecure")).hasSize(1);
      assertThat(client.lines())
          .filteredOn(l -> l.startsWith("{"))
          .hasSize(1); // the warning is not JSON
      server.awaitLine("DONE", WAIT);
    }
  }

  // S1: --cert and --key present a client certificate to a server that requires one.
  @Tag("S1")
  @Test
  void clientCertificateIsPresented() throws Exception {
    TestCerts client = TestCerts.forNames("client.example");
    int port = PeerProcess.freePort();
    try (PeerProcess server =
            PeerProcess.server(
                port,
                certs,
                "-naccept",
                "1",
                "-Verify",
                "1",
                "-CAfile",
                client.certFile().toString());
        PeerProcess run =
            graceful(
                "tls-client",
                "--connect",
                "127.0.0.1:" + port,
                "--cacert",
                certs.certFile().toString(),
                "--cert",
                client.certFile().toString(),
                "--key",
                client.keyFile().toString())) {
      assertThat(run.awaitExit(WAIT)).as(run::output).isZero();
      assertThat(json(run).get(0).get("outcome").asText()).isEqualTo("COMPLETE");
      server.awaitLine("client.example", WAIT); // s_server prints the verified client's subject
    }
  }

  // T14 with S1 through dtls-client: a certificate for another host is refused.
  @Tag("S1")
  @Test
  void dtlsClientRefusesACertificateForAnotherHost() throws Exception {
    TestCerts elsewhere = TestCerts.forNames("elsewhere.example");
    int port = PeerProcess.freePort();
    try (PeerProcess server =
        PeerProcess.start(
            "s_server",
            "-dtls1_2",
            "-accept",
            "127.0.0.1:" + port,
            "-cert",
            elsewhere.certFile().toString(),
            "-key",
            elsewhere.keyFile().toString(),
            "-naccept",
            "1")) {
      server.awaitLine("ACCEPT", WAIT);
      try (PeerProcess client =
          graceful(
              "dtls-client",
              "--connect",
              "127.0.0.1:" + port,
              "--cacert",
              elsewhere.certFile().toString())) {
        assertThat(client.awaitExit(WAIT)).isEqualTo(1);
        JsonNode o = json(client).get(0);
        assertThat(o.get("error").asText()).isEqualTo("PROTOCOL");
        assertThat(o.get("message").asText())
            .contains("No subject alternative names matching IP address 127.0.0.1 found");
      }
    }
  }

  /** A setup error: exit 2, one line naming the problem, no usage, no stack trace. */
  static void assertSetupError(PeerProcess p, String problem) {
    assertThat(p.awaitExit(WAIT)).as(p::output).isEqualTo(2);
    List<String> lines = p.lines();
    assertThat(lines).as(p::output).hasSize(1);
    assertThat(lines.get(0)).startsWith("graceful: ").contains(problem).doesNotContain("null");
  }

  // Setup errors name the file and what is wrong with it.
  @Test
  void unusableFilesAreSetupErrors() throws Exception {
    Path dir = Files.createTempDirectory("graceful-cli");
    Path missing = dir.resolve("missing.pem");
    String cert = certs.certFile().toString();
    String key = certs.keyFile().toString();
    try (PeerProcess p =
        graceful("tls-server", "--port", "0", "--cert", missing.toString(), "--key", key)) {
      assertSetupError(p, "--cert " + missing + ": no such file");
    }
    try (PeerProcess p =
        graceful("tls-server", "--port", "0", "--cert", cert, "--key", dir.toString())) {
      assertSetupError(p, "--key " + dir + ": is a directory");
    }
    try (PeerProcess p = graceful("tls-server", "--port", "0", "--cert", key, "--key", key)) {
      assertSetupError(p, "--cert " + key + ": no PEM certificate");
    }
    try (PeerProcess p =
        graceful("tls-client", "--connect", "127.0.0.1:9", "--cacert", missing.toString())) {
      assertSetupError(p, "--cacert " + missing + ": no such file");
    }
    try (PeerProcess p =
        graceful(
            "quic-client", "--connect", "127.0.0.1:9", "--cert", cert, "--key", dir.toString())) {
      assertSetupError(p, "--key " + dir + ": is a directory");
    }
  }

  // Setup errors for ports and hosts, each one line; --verbose adds the stack trace.
  @Test
  void unusablePortsAndHostsAreSetupErrors() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      String port = Integer.toString(taken.getLocalPort());
      try (PeerProcess p = graceful("tls-server", "--port", port)) {
        assertSetupError(p, "cannot listen on 127.0.0.1:" + port + ": the port is in use");
      }
      try (PeerProcess p = graceful("tls-server", "--port", port, "--verbose")) {
        assertThat(p.awaitExit(WAIT)).isEqualTo(2);
        assertThat(p.output()).contains("the port is in use").contains("\tat ");
      }
    }
    try (PeerProcess p =
        graceful("tls-server", "--port", "0", "--bind", "192.0.2.1")) { // TEST-NET-1: no host's
      assertSetupError(p, "cannot listen on 192.0.2.1:0: the address is not one of this host's");
    }
    try (PeerProcess p = graceful("quic-server", "--port", "0", "--bind", "192.0.2.1")) {
      assertSetupError(p, "cannot listen on 192.0.2.1:0: the address is not one of this host's");
    }
    try (PeerProcess p = graceful("tls-client", "--connect", "no-such-host.invalid:443")) {
      assertSetupError(p, "unknown host: no-such-host.invalid");
    }
    try (PeerProcess p = graceful("quic-client", "--connect", "no-such-host.invalid:443")) {
      assertSetupError(p, "unknown host: no-such-host.invalid");
    }
    try (PeerProcess p = graceful("tls-server", "--port", "0", "--bind", "no-such-host.invalid")) {
      assertSetupError(p, "unknown host: no-such-host.invalid");
    }
  }

  // The main job: the demo ends every connection of its three servers as expected and says so.
  @Tag("G4")
  @Tag("G6")
  @Test
  void demoEndsEveryConnectionAsExpected() throws Exception {
    try (PeerProcess demo =
        graceful(
            "demo",
            "--clients",
            "40",
            "--https-clients",
            "40",
            "--websocket-clients",
            "10",
            "--quic-clients",
            "10",
            "--timeout",
            "1s")) {
      assertThat(demo.awaitExit(Duration.ofSeconds(90))).as(demo.tail()).isZero();
      JsonNode summary = json(demo).get(0).get("summary");
      assertThat(summary.get("connections").asInt()).isEqualTo(100);
      assertThat(summary.get("unexpected").asInt()).isZero();
      JsonNode servers = summary.get("servers");
      assertThat(servers.get("graceful NIO TLS").get("endings").get("silent FORCED").asInt())
          .isEqualTo(4);
      assertThat(
              servers.get("reactor-netty HTTPS").get("endings").get("silent FORCED/SENT").asInt())
          .isEqualTo(2);
      // the responses in flight at the shutdown say "Connection: close", and reactor-netty's client
      // then closes itself: usually after the server's close_notify came (LOCAL), maybe before
      // (PEER)
      JsonNode https = servers.get("reactor-netty HTTPS").get("endings");
      assertThat(
              https.path("keep-alive COMPLETE/LOCAL").asInt()
                  + https.path("keep-alive COMPLETE/PEER").asInt())
          .isEqualTo(38);
      // each WebSocket got the close frame 1001 and answered it, then the close_notify exchange ran
      assertThat(
              servers
                  .get("reactor-netty HTTPS")
                  .get("endings")
                  .get("websocket 1001 then COMPLETE")
                  .asInt())
          .isEqualTo(10);
      assertThat(
              servers
                  .get("Kwik QUIC")
                  .get("endings")
                  .get("128 KiB in flight COMPLETE/LOCAL drained")
                  .asInt())
          .isEqualTo(10);
      // each phase is announced on stderr as it starts, then as it ends with its duration
      String prefix = "graceful: demo: ";
      List<String> started =
          demo.lines().stream()
              .filter(l -> l.startsWith(prefix) && l.endsWith(" ..."))
              .map(l -> l.substring(prefix.length(), l.length() - " ...".length()))
              .toList();
      assertThat(started)
          .contains(
              "graceful NIO TLS: graceful shutdown of 40 connections (deadline 1000 ms)",
              "reactor-netty HTTPS: graceful shutdown (grace 2000 ms, deadline 3000 ms)",
              "Kwik QUIC: graceful shutdown with responses in flight (deadline 10000 ms)");
      for (String phase : started) {
        assertThat(demo.output())
            .containsPattern(
                java.util.regex.Pattern.quote(prefix + phase + ": done in ") + "\\d+ ms");
      }
    }
  }
}
