package dev.graceful.samples.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graceful.core.LoopGroup;
import dev.graceful.core.Outcome;
import dev.graceful.core.ShutdownReport;
import dev.graceful.testkit.PeerProcess;
import dev.graceful.testkit.TestCerts;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** graceful's TLS server sample with two {@code openssl s_client}s (TLS 1.2 and 1.3). */
class TlsServerExampleIT {
  static final Duration WAIT = Duration.ofSeconds(20);

  // G1, G3, G5: both clients get a close_notify after their greeting, answer it and exit cleanly.
  @Test
  @Tag("G1")
  @Tag("G3")
  @Tag("G5")
  void everyClientGetsACloseNotifyAndAnswers() throws Exception {
    TestCerts certs = TestCerts.create();
    LoopGroup loops = LoopGroup.create(1);
    TlsServerExample server = TlsServerExample.start(certs.server(), loops);
    String at = "127.0.0.1:" + server.address().getPort();
    try (PeerProcess tls12 = PeerProcess.start("s_client", "-connect", at, "-tls1_2");
        PeerProcess tls13 = PeerProcess.start("s_client", "-connect", at, "-tls1_3")) {
      tls12.awaitLine("welcome", WAIT);
      tls13.awaitLine("welcome", WAIT);

      ShutdownReport report = server.stop();

      assertThat(report.outcomes()).isEqualTo(Map.of(Outcome.COMPLETE, 2));
      assertThat(tls12.awaitExit(WAIT)).as(tls12::tail).isZero();
      assertThat(tls13.awaitExit(WAIT)).as(tls13::tail).isZero();
    } finally {
      loops.shutdown().block(WAIT);
    }
  }
}
