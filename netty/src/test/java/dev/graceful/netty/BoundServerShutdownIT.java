package dev.graceful.netty;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graceful.core.GracefulShutdown;
import dev.graceful.core.LoopGroup;
import dev.graceful.core.Outcome;
import dev.graceful.core.ServerShutdown;
import dev.graceful.core.ShutdownReport;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.testkit.ReportShape;
import dev.graceful.testkit.TestCerts;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslProvider;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;

/** G10 for reactor-netty: a bound HTTPS server as a {@link GracefulShutdown}. */
class BoundServerShutdownIT {
  static final Duration WAIT = Duration.ofSeconds(30);

  /** The same policy object as every other server kind's test. */
  static final ServerShutdown HOW =
      ServerShutdown.of(ShutdownSpec.bidirectional())
          .grace(Duration.ofSeconds(5))
          .deadline(Duration.ofSeconds(10));

  static TestCerts certs;
  static LoopGroup clientLoops;

  @BeforeAll
  static void setUp() {
    certs = TestCerts.create();
    clientLoops = LoopGroup.create(1);
  }

  @AfterAll
  static void tearDown() {
    clientLoops.shutdown().block(WAIT);
  }

  // G10: GracefulServer.bound(server) is shut down by the same policy object as graceful's own
  // servers, and reports with the same fields; a second subscription observes the same report.
  @Tag("G10")
  @Test
  void boundServerIsShutDownByThePolicyAndReportsEveryConnection() throws Exception {
    GracefulServer tracker = GracefulServer.create();
    SslContext ctx = NettyEngines.serverContext(SslProvider.JDK, certs);
    DisposableServer server =
        tracker
            .install(
                HttpServer.create().host("127.0.0.1").port(0).secure(spec -> spec.sslContext(ctx)))
            .handle(
                tracker.http(
                    (req, res) -> res.header("content-length", "2").sendString(Mono.just("ok"))))
            .bindNow(Duration.ofSeconds(10));
    try {
      InetSocketAddress at = new InetSocketAddress("127.0.0.1", server.port());
      List<HttpsClient> clients =
          Flux.range(0, 2)
              .flatMap(
                  i ->
                      HttpsClient.connect(
                          at, certs.client(), clientLoops, i == 0 ? "TLSv1.3" : "TLSv1.2"))
              .map(HttpsClient::readUntilServerCloses)
              .collectList()
              .block(WAIT);
      for (HttpsClient c : clients) {
        c.get("/").block(WAIT);
        c.awaitResponses(1, WAIT);
      }
      GracefulShutdown graceful = tracker.bound(server);
      assertThat(graceful.isShuttingDown()).isFalse();

      ShutdownReport report = graceful.shutdown(HOW).block(WAIT);

      assertThat(graceful.isShuttingDown()).isTrue();
      ReportShape.assertClean(report, 2, Outcome.COMPLETE);
      for (HttpsClient c : clients) {
        NettyServerShutdownIT.assertClosedAndAnswered(c);
      }
      assertThat(tracker.openConnections()).isEmpty();
      assertThat(
              graceful.shutdown(ServerShutdown.of(ShutdownSpec.bidirectional().fast())).block(WAIT))
          .isSameAs(report);
    } finally {
      server.disposeNow(Duration.ofSeconds(5));
    }
  }
}
