package dev.graceful.samples;

import static dev.graceful.samples.CommandLineIT.WAIT;
import static dev.graceful.samples.CommandLineIT.graceful;
import static dev.graceful.samples.CommandLineIT.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.graceful.testkit.PeerProcess;
import dev.graceful.testkit.TestCerts;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code quic-client} and {@code quic-server} as a user runs them, against each other (Kwik on both
 * sides).
 */
class QuicCommandLineIT {
  static TestCerts certs;

  @BeforeAll
  static void certs() {
    certs = TestCerts.create();
  }

  static int freeUdpPort() throws Exception {
    try (DatagramSocket s = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  static PeerProcess server(int port, String... extra) {
    return server(port, certs, extra);
  }

  /** A quic-server presenting {@code certs}. */
  static PeerProcess server(int port, TestCerts certs, String... extra) {
    List<String> args =
        new java.util.ArrayList<>(
            List.of(
                "quic-server",
                "--port",
                Integer.toString(port),
                "--cert",
                certs.certFile().toString(),
                "--key",
                certs.keyFile().toString()));
    args.addAll(List.of(extra));
    PeerProcess p = graceful(args.toArray(String[]::new));
    p.awaitLine("quic-server listening", WAIT);
    return p;
  }

  static PeerProcess client(int port, String... extra) {
    List<String> args =
        new java.util.ArrayList<>(
            List.of(
                "quic-client",
                "--connect",
                "127.0.0.1:" + port,
                "--cacert",
                certs.certFile().toString()));
    args.addAll(List.of(extra));
    return graceful(args.toArray(String[]::new));
  }

  // Q5, Q1, Q8 through the command line: the client drains 2 MB, then closes with its code and
  // reason; the waiting server counted all 2 MB and reports the client's code and reason.
  @Tag("Q1")
  @Tag("Q5")
  @Tag("Q8")
  @Tag("Q12")
  @Test
  void clientDrainsAndServerWaitingSeesCodeAndReason() throws Exception {
    int port = freeUdpPort();
    try (PeerProcess server = server(port, "--accept", "1", "--mode", "wait-peer");
        PeerProcess client =
            client(port, "--send", "2000000", "--error-code", "7", "--reason", "bye now")) {
      assertThat(client.awaitExit(WAIT)).as(() -> "client's output:\n" + client.output()).isZero();
      JsonNode c = json(client).get(0);
      assertThat(c.get("outcome").asText()).isEqualTo("COMPLETE");
      assertThat(c.get("mode").asText()).isEqualTo("rfc");
      assertThat(c.get("drained").asBoolean()).isTrue();
      assertThat(c.get("bytesDrained").asLong()).isBetween(0L, 2_000_000L);
      assertThat(c.get("protocol").asText()).isEqualTo("QUICv1");
      assertThat(c.get("peer").asText()).isEqualTo("127.0.0.1:" + port);
      // Q12: our close, as sent
      assertThat(c.get("closeInfo").toString())
          .isEqualTo(
              "{\"errorCode\":7,\"frameType\":0,\"reason\":\"bye now\",\"transport\":false,"
                  + "\"local\":true}");
      assertThat(c.get("initiator").asText()).isEqualTo("LOCAL");
      assertThat(c.get("elapsedMs").asLong()).isPositive();
      assertThat(java.time.Instant.parse(c.get("time").asText()))
          .isBefore(java.time.Instant.now().plusSeconds(1));
      assertThat(server.awaitExit(WAIT)).as(() -> "server's output:\n" + server.output()).isZero();
      List<JsonNode> s = json(server);
      assertThat(s.get(0).get("initiator").asText()).isEqualTo("PEER");
      assertThat(s.get(0).get("bytesRead").asLong()).isEqualTo(2_000_000L);
      assertThat(s.get(0).get("peerErrorCode").asLong()).isEqualTo(7);
      assertThat(s.get(0).get("peerReason").asText()).isEqualTo("bye now");
      // Q12: the same close, as the peer's
      assertThat(s.get(0).get("closeInfo").get("errorCode").asLong()).isEqualTo(7);
      assertThat(s.get(0).get("closeInfo").get("reason").asText()).isEqualTo("bye now");
      assertThat(s.get(0).get("closeInfo").get("local").asBoolean()).isFalse();
      assertThat(s.get(0).get("closeInfo").get("transport").asBoolean()).isFalse();
      assertThat(s.get(0).get("peer").asText()).matches("127\\.0\\.0\\.1:\\d+");
      assertThat(s.get(0).get("time").asText()).isNotEmpty();
      assertThat(s.get(1).get("summary").get("outcomes").get("COMPLETE").asInt()).isEqualTo(1);
      assertThat(client.output()).doesNotContain("SECURITY WARNING"); // stdout is JSON only
    }
  }

  // Q7 and Q5 skipped through the command line: rapid says SENT; --no-stream-flush says drained
  // false.
  @Tag("Q5")
  @Tag("Q7")
  @Test
  void rapidAndNoStreamFlush() throws Exception {
    int port = freeUdpPort();
    try (PeerProcess server = server(port, "--accept", "2", "--mode", "wait-peer")) {
      try (PeerProcess rapid = client(port, "--mode", "rapid")) {
        assertThat(rapid.awaitExit(WAIT)).as(() -> "rapid's output:\n" + rapid.output()).isZero();
        JsonNode o = json(rapid).get(0);
        assertThat(o.get("outcome").asText()).isEqualTo("SENT");
        assertThat(o.get("state").toString()).isEqualTo("[\"SENT\"]");
      }
      try (PeerProcess noFlush = client(port, "--send", "2000000", "--no-stream-flush")) {
        assertThat(noFlush.awaitExit(WAIT))
            .as(() -> "noFlush's output:\n" + noFlush.output())
            .isZero();
        JsonNode o = json(noFlush).get(0);
        assertThat(o.get("drained").asBoolean()).isFalse();
        assertThat(o.get("drained").isBoolean()).isTrue();
      }
      assertThat(server.awaitExit(WAIT)).as(() -> "server's output:\n" + server.output()).isZero();
    }
  }

  // Q2 through the command line: an out-of-range code is a bad argument, exit 2, nothing sent.
  @Tag("Q2")
  @Test
  void outOfRangeCodeIsABadArgument() {
    try (PeerProcess client = client(4433, "--error-code", Long.toString(1L << 62))) {
      assertThat(client.awaitExit(WAIT)).isEqualTo(2);
      assertThat(client.output())
          .contains("--error-code must be in [0, 2^62-1]")
          .contains("Usage:");
    }
  }

  // G1, Q6, Q8: a holding server told to stop (SIGTERM) ends its open connection by its mode,
  // with its code and reason; the client waiting for the peer sees them.
  @Tag("Q1")
  @Tag("Q6")
  @Tag("Q8")
  @Test
  void sigtermEndsHeldConnectionsByTheMode() throws Exception {
    int port = freeUdpPort();
    try (PeerProcess server =
            server(port, "--hold", "--error-code", "3", "--reason", "maintenance");
        PeerProcess client = client(port, "--mode", "wait-peer", "--send", "1000")) {
      server.awaitLine("accepted quic-server#1", WAIT); // its log on stderr
      client.awaitLine("shutting down by wait-peer", WAIT); // its write returned: it now waits
      server.signal("TERM");
      assertThat(server.awaitExit(WAIT)).as(server.tail()).isZero();
      assertThat(client.awaitExit(WAIT)).as(client.tail()).isZero();
      JsonNode s = json(server).get(0);
      assertThat(s.get("initiator").asText()).isEqualTo("LOCAL");
      assertThat(s.get("outcome").asText()).isEqualTo("COMPLETE");
      JsonNode c = json(client).get(0);
      assertThat(c.get("initiator").asText()).isEqualTo("PEER");
      assertThat(c.get("peerErrorCode").asLong()).isEqualTo(3);
      assertThat(c.get("peerReason").asText()).isEqualTo("maintenance");
    }
  }

  // Q12 on an error line: a client waiting for a peer that never closes times out after --timeout;
  // its line says how long it waited, what it read (the server's 5,000 bytes) and who started, with
  // no close info (nothing closed). Then the server, told to stop, closes; its line says so.
  @Tag("Q12")
  @Test
  void anErrorLineCarriesItsRealTimingBytesAndInitiator() throws Exception {
    int port = freeUdpPort();
    try (PeerProcess server =
            server(port, "--hold", "--send", "5000", "--error-code", "5", "--reason", "bye");
        PeerProcess client = client(port, "--mode", "wait-peer", "--timeout", "1s")) {
      assertThat(client.awaitExit(WAIT)).as(client::output).isEqualTo(1);
      JsonNode c = json(client).get(0);
      assertThat(c.get("error").asText()).isEqualTo("TIMEOUT");
      assertThat(c.get("elapsedMs").asLong()).isBetween(1000L, 10_000L);
      assertThat(c.get("bytesRead").asLong()).isEqualTo(5000L);
      assertThat(c.get("initiator").asText()).isEqualTo("LOCAL");
      assertThat(c.get("closeInfo").isNull()).isTrue();
      server.signal("TERM");
      assertThat(server.awaitExit(WAIT)).as(server.tail()).isZero();
      JsonNode s = json(server).get(0);
      assertThat(s.get("closeInfo").get("local").asBoolean()).isTrue();
      assertThat(s.get("closeInfo").get("errorCode").asLong()).isEqualTo(5);
    }
  }

  // S1 through quic-client: a certificate for another host is refused with the JDK's reason, exit
  // 1.
  @Tag("S1")
  @Test
  void clientRefusesACertificateForAnotherHost() throws Exception {
    TestCerts elsewhere = TestCerts.forNames("elsewhere.example");
    int port = freeUdpPort();
    try (PeerProcess server = server(port, elsewhere, "--accept", "1");
        PeerProcess client =
            graceful(
                "quic-client",
                "--connect",
                "127.0.0.1:" + port,
                "--cacert",
                elsewhere.certFile().toString())) {
      assertThat(client.awaitExit(WAIT)).as(client::output).isEqualTo(1);
      JsonNode o = json(client).get(0);
      assertThat(o.get("error").asText()).isEqualTo("PROTOCOL");
      assertThat(o.get("message").asText())
          .contains("handshake failed")
          .contains("No subject alternative names matching IP address 127.0.0.1 found");
      assertThat(o.get("peer").asText()).isEqualTo("127.0.0.1:" + port);
      assertThat(server.output()).doesNotContain("accepted quic-server");
    }
  }

  // Q12 through quic-client: a handshake that failed says how the connection was closed. The
  // client's own certificate check sends the TLS alert as a crypto error (0x100 + bad_certificate,
  // 42), locally; the line says so, and the server it refused is the one that did not start.
  @Tag("Q12")
  @Test
  void aFailedHandshakeLineCarriesTheAlertItSent() throws Exception {
    TestCerts elsewhere = TestCerts.forNames("elsewhere.example");
    int port = freeUdpPort();
    try (PeerProcess server = server(port, elsewhere, "--accept", "1");
        PeerProcess client =
            graceful(
                "quic-client",
                "--connect",
                "127.0.0.1:" + port,
                "--cacert",
                elsewhere.certFile().toString())) {
      assertThat(client.awaitExit(WAIT)).as(client::output).isEqualTo(1);
      JsonNode o = json(client).get(0);
      assertThat(o.get("initiator").asText()).isEqualTo("LOCAL");
      JsonNode info = o.get("closeInfo");
      assertThat(info.get("errorCode").asLong()).isEqualTo(0x100 + 42);
      assertThat(info.get("transport").asBoolean()).isTrue();
      assertThat(info.get("local").asBoolean()).isTrue();
      assertThat(server.output()).doesNotContain("accepted quic-server");
    }
  }

  // Q12 through quic-client on both stacks: a server that ends the handshake (no application
  // protocol in common: CONNECTION_CLOSE 0x178, RFC 9001 §4.8) is named the initiator, and its
  // code and reason are the line's close information.
  @Tag("Q12")
  @ParameterizedTest
  @ValueSource(strings = {"kwik", "netty"})
  void aHandshakeThePeerEndedCarriesThePeersClose(String stack) throws Exception {
    int port = freeUdpPort();
    try (PeerProcess server = server(port, "--accept", "1");
        PeerProcess client = client(port, "--stack", stack, "--alpn", "nope")) {
      assertThat(client.awaitExit(WAIT)).as(client::output).isEqualTo(1);
      JsonNode o = json(client).get(0);
      assertThat(o.get("error").asText()).isEqualTo("PROTOCOL");
      assertThat(o.get("initiator").asText()).isEqualTo("PEER");
      JsonNode info = o.get("closeInfo");
      assertThat(info.get("errorCode").asLong()).isEqualTo(0x178);
      assertThat(info.get("reason").asText()).contains("nope");
      assertThat(info.get("transport").asBoolean()).isTrue();
      assertThat(info.get("local").asBoolean()).isFalse();
      assertThat(server.output()).doesNotContain("accepted quic-server");
    }
  }

  // S1: --servername is the name verified; the packets still go to --connect.
  @Tag("S1")
  @Test
  void servernameIsVerifiedInsteadOfTheConnectHost() throws Exception {
    TestCerts elsewhere = TestCerts.forNames("elsewhere.example");
    int port = freeUdpPort();
    try (PeerProcess server = server(port, elsewhere, "--accept", "1", "--mode", "wait-peer");
        PeerProcess client =
            graceful(
                "quic-client",
                "--connect",
                "127.0.0.1:" + port,
                "--cacert",
                elsewhere.certFile().toString(),
                "--servername",
                "elsewhere.example")) {
      assertThat(client.awaitExit(WAIT)).as(client::output).isZero();
      assertThat(json(client).get(0).get("outcome").asText()).isEqualTo("COMPLETE");
      assertThat(server.awaitExit(WAIT)).as(server::output).isZero();
    }
  }

  // S1: --insecure skips verification, with one warning on stderr and nothing on stdout but JSON.
  @Tag("S1")
  @Test
  void insecureAcceptsAnyCertificateAndWarns() throws Exception {
    TestCerts elsewhere = TestCerts.forNames("elsewhere.example");
    int port = freeUdpPort();
    try (PeerProcess server = server(port, elsewhere, "--accept", "1", "--mode", "wait-peer");
        PeerProcess client =
            graceful("quic-client", "--connect", "127.0.0.1:" + port, "--insecure")) {
      assertThat(client.awaitExit(WAIT)).as(client::output).isZero();
      assertThat(json(client).get(0).get("outcome").asText()).isEqualTo("COMPLETE");
      assertThat(client.lines()).filteredOn(l -> l.contains("WARNING: --insecure")).hasSize(1);
      assertThat(client.output()).doesNotContain("SECURITY WARNING");
      assertThat(server.awaitExit(WAIT)).as(server::output).isZero();
    }
  }

  // Bad values are usage errors before any I/O.
  @Test
  void negativeSendIsABadArgument() {
    try (PeerProcess client = client(4433, "--send", "-5")) {
      assertThat(client.awaitExit(WAIT)).isEqualTo(2);
      assertThat(client.output()).contains("cannot be negative").contains("Usage:");
    }
  }
}
