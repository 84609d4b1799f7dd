package dev.graceful.tls;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graceful.core.Initiator;
import dev.graceful.core.LoopGroup;
import dev.graceful.core.Outcome;
import dev.graceful.core.ShutdownException.Reason;
import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.core.ShutdownState;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import reactor.core.scheduler.Schedulers;

/** T14: graceful as a DTLS 1.2 client, real {@code openssl s_server -dtls1_2} as the peer. */
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
            new InetSocketAddress("127.0.0.1", port), certs.dtlsClient(), loops, e -> {}, Schedulers.parallel())
        .block(WAIT);
  }

  static PeerProcess server(int port) {
    PeerProcess p = PeerProcess.start(
        "s_server", "-dtls1_2", "-accept", "127.0.0.1:" + port,
        "-cert", certs.certFile().toString(), "-key", certs.keyFile().toString(), "-naccept", "1");
    p.awaitLine("ACCEPT", WAIT);
    return p;
  }

  // T14, T2: our close_notify over DTLS is answered: COMPLETE.
  @Test
  void localCloseIsAnswered() {
    int port = PeerProcess.freePort();
    try (PeerProcess server = server(port)) {
      TlsConnection c = connect(port);
      assertThat(c.protocol()).isEqualTo("DTLSv1.2");
      c.send(ByteBuffer.wrap("hello-dtls\n".getBytes(StandardCharsets.UTF_8))).block(WAIT);
      server.awaitLine("hello-dtls", WAIT);
      ShutdownResult r = c.shutdown(ShutdownSpec.bidirectional().timeout(Duration.ofSeconds(5))).block(WAIT);
      assertThat(r.outcome()).isEqualTo(Outcome.COMPLETE);
      assertThat(r.initiator()).isEqualTo(Initiator.LOCAL);
      assertThat(r.state()).isEqualTo(ShutdownState.SENT_AND_RECEIVED);
      server.awaitLine("DONE", WAIT);
      c.release().block(WAIT);
    }
  }

  // T14: a peer that closes its socket without close_notify ('q') leaves nothing to read over UDP:
  // the wait ends at the deadline, with our close_notify out.
  @Test
  void silentPeerEndsAtDeadline() {
    int port = PeerProcess.freePort();
    try (PeerProcess server = server(port)) {
      TlsConnection c = connect(port);
      server.signal("STOP");
      assertThat(Failures.reason(c.shutdown(ShutdownSpec.bidirectional().timeout(Duration.ofMillis(500))), WAIT))
          .isEqualTo(Reason.TIMEOUT);
      assertThat(c.shutdownState()).isEqualTo(ShutdownState.SENT);
      c.release().block(WAIT);
    }
  }
}
