package dev.graceful.samples.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graceful.core.Outcome;
import dev.graceful.core.ShutdownReport;
import dev.graceful.netty.GracefulServer;
import dev.graceful.testkit.PeerProcess;
import dev.graceful.testkit.TestCerts;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import reactor.netty.DisposableServer;

/**
 * The reactor-netty server samples, with {@code openssl s_client} as an HTTP/1.1 keep-alive client.
 */
class HttpsServerExampleIT {
  static final Duration WAIT = Duration.ofSeconds(20);

  // G1, G3, G5, G6: the client's connection stays open after its response; the shutdown sends it a
  // close_notify, s_client answers and exits cleanly, and the report counts one COMPLETE.
  @Test
  @Tag("G1")
  @Tag("G3")
  @Tag("G5")
  @Tag("G6")
  void openKeepAliveConnectionEndsWithCloseNotifyExchange() throws Exception {
    TestCerts certs = TestCerts.create();
    SslContext sslContext =
        SslContextBuilder.forServer(certs.cert().keys().getPrivate(), certs.cert().certificate())
            .build();
    GracefulServer graceful = GracefulServer.create();
    DisposableServer server = HttpsServerExample.start(graceful, sslContext);
    try (PeerProcess client =
        PeerProcess.start(
            "s_client", "-connect", "127.0.0.1:" + server.port(), "-crlf", "-quiet")) {
      client.send("GET / HTTP/1.1\nHost: localhost\n\n");
      client.awaitLine("hello", WAIT);

      ShutdownReport report = HttpsServerExample.stop(graceful, server);

      assertThat(report.connections()).isEqualTo(1);
      assertThat(report.outcomes()).isEqualTo(Map.of(Outcome.COMPLETE, 1));
      assertThat(report.stragglers()).isEmpty();
      assertThat(client.awaitExit(WAIT)).as(client::tail).isZero();
    } finally {
      server.disposeNow(WAIT);
    }
  }
}
