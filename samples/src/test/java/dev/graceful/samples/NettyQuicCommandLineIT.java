package dev.graceful.samples;

import static dev.graceful.samples.CommandLineIT.WAIT;
import static dev.graceful.samples.CommandLineIT.json;
import static dev.graceful.samples.QuicCommandLineIT.client;
import static dev.graceful.samples.QuicCommandLineIT.freeUdpPort;
import static dev.graceful.samples.QuicCommandLineIT.server;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.graceful.testkit.PeerProcess;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@code quic-client} and {@code quic-server} with {@code --stack netty} (Netty's QUIC codec) as a
 * user runs them, against each other and against the default Kwik stack.
 */
class NettyQuicCommandLineIT {
  @BeforeAll
  static void certs() {
    QuicCommandLineIT.certs();
  }

  // Q1, Q5, Q8, Q13: a Netty client drains 2 MB, then closes with its code and reason; the Kwik
  // server waiting for its peer counted all 2 MB and reports the client's code and reason.
  @Tag("Q1")
  @Tag("Q5")
  @Tag("Q8")
  @Tag("Q13")
  @Test
  void nettyClientDrainsAndKwikServerWaitingSeesCodeAndReason() throws Exception {
    int port = freeUdpPort();
    try (PeerProcess server = server(port, "--accept", "1", "--mode", "wait-peer");
        PeerProcess client =
            client(
                port,
                "--stack",
                "netty",
                "--send",
                "2000000",
                "--error-code",
                "7",
                "--reason",
                "bye now")) {
      assertThat(client.awaitExit(WAIT)).as(() -> "client's output:\n" + client.output()).isZero();
      JsonNode c = json(client).get(0);
      assertThat(c.get("outcome").asText()).isEqualTo("COMPLETE");
      assertThat(c.get("drained").asBoolean()).isTrue();
      assertThat(c.get("protocol").asText()).isEqualTo("QUICv1");
      assertThat(server.awaitExit(WAIT)).as(() -> "server's output:\n" + server.output()).isZero();
      List<JsonNode> s = json(server);
      assertThat(s.get(0).get("initiator").asText()).isEqualTo("PEER");
      assertThat(s.get(0).get("bytesRead").asLong()).isEqualTo(2_000_000L);
      assertThat(s.get(0).get("peerErrorCode").asLong()).isEqualTo(7);
      assertThat(s.get(0).get("peerReason").asText()).isEqualTo("bye now");
    }
  }

  // Q7, Q8, Q13: Netty on both sides: a rapid close is SENT, and the Netty server waiting for its
  // peer reports the client's code.
  @Tag("Q7")
  @Tag("Q8")
  @Tag("Q13")
  @Test
  void nettyOnBothSidesRapidIsSent() throws Exception {
    int port = freeUdpPort();
    try (PeerProcess server =
            server(port, "--stack", "netty", "--accept", "1", "--mode", "wait-peer");
        PeerProcess client =
            client(port, "--stack", "netty", "--mode", "rapid", "--error-code", "9")) {
      assertThat(client.awaitExit(WAIT)).as(() -> "client's output:\n" + client.output()).isZero();
      JsonNode c = json(client).get(0);
      assertThat(c.get("outcome").asText()).isEqualTo("SENT");
      assertThat(c.get("state").toString()).isEqualTo("[\"SENT\"]");
      assertThat(server.awaitExit(WAIT)).as(() -> "server's output:\n" + server.output()).isZero();
      JsonNode s = json(server).get(0);
      assertThat(s.get("initiator").asText()).isEqualTo("PEER");
      assertThat(s.get("peerErrorCode").asLong()).isEqualTo(9);
    }
  }

  // G1, Q1, Q8, Q13: a holding Netty server told to stop (SIGTERM) ends its open connection by its
  // mode, with its code and reason; the Kwik client waiting for its peer sees them.
  @Tag("G1")
  @Tag("Q1")
  @Tag("Q8")
  @Tag("Q13")
  @Test
  void sigtermEndsTheNettyServersHeldConnection() throws Exception {
    int port = freeUdpPort();
    try (PeerProcess server =
            server(port, "--stack", "netty", "--hold", "--error-code", "3", "--reason", "maint");
        PeerProcess client = client(port, "--mode", "wait-peer", "--send", "1000")) {
      server.awaitLine("accepted netty-quic-server#1", WAIT);
      client.awaitLine("shutting down by wait-peer", WAIT);
      server.signal("TERM");
      assertThat(server.awaitExit(WAIT)).as(server::tail).isZero();
      assertThat(client.awaitExit(WAIT)).as(client::tail).isZero();
      JsonNode s = json(server).get(0);
      assertThat(s.get("initiator").asText()).isEqualTo("LOCAL");
      JsonNode c = json(client).get(0);
      assertThat(c.get("initiator").asText()).isEqualTo("PEER");
      assertThat(c.get("peerErrorCode").asLong()).isEqualTo(3);
      assertThat(c.get("peerReason").asText()).isEqualTo("maint");
    }
  }
}
