package dev.graceful.samples.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graceful.core.LoopGroup;
import dev.graceful.core.Outcome;
import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownState;
import dev.graceful.testkit.PeerProcess;
import dev.graceful.testkit.TestCerts;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The DTLS sample against {@code openssl s_server -dtls1_2}, which answers the close_notify. */
class DtlsClientExampleIT {
  static final Duration WAIT = Duration.ofSeconds(20);

  // T14: the close_notify exchange over datagrams, with a deadline.
  @Test
  @Tag("T14")
  void closeNotifyIsAnsweredOverUdp() throws Exception {
    TestCerts certs = TestCerts.create();
    int port = PeerProcess.freePort();
    LoopGroup loops = LoopGroup.create(1);
    try (PeerProcess server = PeerProcess.server(port, certs, "-dtls1_2", "-naccept", "1")) {

      ShutdownResult r =
          DtlsClientExample.sendThenClose(
              new InetSocketAddress("localhost", port),
              TlsClientExample.trusting(certs.certFile(), "DTLS"),
              loops,
              "hello-dtls\n".getBytes(StandardCharsets.UTF_8));

      assertThat(r.protocol()).isEqualTo("DTLSv1.2");
      assertThat(r.outcome()).isEqualTo(Outcome.COMPLETE);
      assertThat(r.state()).isEqualTo(ShutdownState.SENT_AND_RECEIVED);
      assertThat(r.deadlineReached()).isFalse();
      assertThat(server.awaitLine("hello-dtls", WAIT)).contains("hello-dtls");
    } finally {
      loops.shutdown().block(WAIT);
    }
  }
}
