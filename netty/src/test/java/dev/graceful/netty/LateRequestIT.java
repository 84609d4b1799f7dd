package dev.graceful.netty;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graceful.core.LoopGroup;
import dev.graceful.core.Outcome;
import dev.graceful.core.ServerShutdown;
import dev.graceful.core.ShutdownReport;
import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.testkit.TestCerts;
import dev.graceful.tls.TlsConnection;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslProvider;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;

/**
 * No request lost in the drain, over TLS: a keep-alive request that reaches the server after its
 * close_notify went out is not dispatched to the application (whose response could never arrive);
 * the client sees the connection end without a response and the report counts the refusal.
 */
@Tag("G2")
@Tag("G5")
class LateRequestIT {
  static final Duration WAIT = Duration.ofSeconds(30);
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

  static ByteBuffer get(String path) {
    return ByteBuffer.wrap(
        ("GET " + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII));
  }

  @Test
  void requestArrivingAfterTheCloseNotifyIsNotDispatchedAndIsCounted() throws Exception {
    GracefulServer graceful = GracefulServer.create();
    List<String> dispatched = new CopyOnWriteArrayList<>();
    SslContext ctx = NettyEngines.serverContext(SslProvider.JDK, certs);
    DisposableServer server =
        graceful
            .install(
                HttpServer.create().host("127.0.0.1").port(0).secure(spec -> spec.sslContext(ctx)))
            .handle(
                graceful.http(
                    (req, res) -> {
                      dispatched.add(req.uri());
                      return res.header("content-length", "2").sendString(Mono.just("ok"));
                    }))
            .bindNow(Duration.ofSeconds(10));
    try {
      TlsConnection tls =
          TlsConnection.connect(
                  new InetSocketAddress("127.0.0.1", server.port()),
                  certs.client(),
                  clientLoops,
                  e -> e.setEnabledProtocols(new String[] {"TLSv1.3"}))
              .block(WAIT);
      StringBuffer got = new StringBuffer();
      CompletableFuture<ShutdownResult> answered = new CompletableFuture<>();
      // the server's close_notify ends the stream; before answering it (TLS 1.3 lets a peer write
      // after receiving one) the client sends another request, as one that had not read it yet
      // would have
      tls.receive()
          .subscribe(
              b -> got.append(StandardCharsets.ISO_8859_1.decode(b)),
              answered::completeExceptionally,
              () ->
                  tls.send(get("/late"))
                      .then(
                          tls.shutdown(
                              ShutdownSpec.bidirectional().timeout(Duration.ofSeconds(10))))
                      .subscribe(answered::complete, answered::completeExceptionally));
      tls.send(get("/")).block(WAIT);
      NettyServerShutdownIT.awaitUntil(() -> got.toString().endsWith("ok"));

      ShutdownReport report =
          graceful
              .shutdown(
                  server,
                  ServerShutdown.of(ShutdownSpec.bidirectional())
                      .grace(Duration.ofSeconds(5))
                      .deadline(Duration.ofSeconds(10)))
              .block(WAIT);

      assertThat(answered.get(WAIT.toSeconds(), TimeUnit.SECONDS).outcome())
          .isEqualTo(Outcome.COMPLETE);
      assertThat(dispatched)
          .as("the late request never reached the application")
          .containsExactly("/");
      assertThat(report.refusedRequests()).isEqualTo(1);
      assertThat(report.outcomes()).isEqualTo(Map.of(Outcome.COMPLETE, 1));
      assertThat(report.stragglers()).isEmpty();
      assertThat(report.elapsed())
          .as("ended by the client's answer, not the deadline")
          .isLessThan(Duration.ofSeconds(5));
      assertThat(got.toString().split("HTTP/1.1 ", -1)).as("one response only").hasSize(2);
    } finally {
      server.disposeNow(Duration.ofSeconds(5));
    }
  }
}
