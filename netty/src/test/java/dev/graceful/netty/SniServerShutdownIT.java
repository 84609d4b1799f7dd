package dev.graceful.netty;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graceful.core.LoopGroup;
import dev.graceful.core.Outcome;
import dev.graceful.core.ServerShutdown;
import dev.graceful.core.ShutdownException;
import dev.graceful.core.ShutdownReport;
import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.core.ShutdownState;
import dev.graceful.testkit.TestCerts;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslProvider;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;

/**
 * G3, G6 on a reactor-netty HTTPS server with SNI mappings, as Spring Boot configures one: each
 * accepted channel starts with reactor-netty's SNI handler, which puts an {@code SslHandler} in its
 * place only once the client's hello arrived. Such connections are still over TLS: they end with
 * the close_notify exchange, and the report says so.
 */
class SniServerShutdownIT {
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

  /** An HTTPS server (GET answers "ok") whose TLS is chosen by SNI: "localhost", or the default. */
  static DisposableServer start(GracefulServer graceful) throws Exception {
    SslContext ctx = NettyEngines.serverContext(SslProvider.JDK, certs);
    return graceful
        .install(
            HttpServer.create()
                .host("127.0.0.1")
                .port(0)
                .secure(
                    spec ->
                        spec.sslContext(ctx)
                            .addSniMapping("localhost", sni -> sni.sslContext(ctx))))
        .handle(
            graceful.http(
                (req, res) -> res.header("content-length", "2").sendString(Mono.just("ok"))))
        .bindNow(Duration.ofSeconds(10));
  }

  /** A keep-alive client of graceful's own TLS that names "localhost" by SNI. */
  static HttpsClient sniClient(DisposableServer server) {
    return HttpsClient.connect(
            new InetSocketAddress("127.0.0.1", server.port()),
            certs.client(),
            clientLoops,
            e -> {
              SSLParameters p = e.getSSLParameters();
              p.setProtocols(new String[] {"TLSv1.3"});
              p.setServerNames(List.of(new SNIHostName("localhost")));
              e.setSSLParameters(p);
            })
        .block(WAIT);
  }

  // G3, G6: a keep-alive connection of an SNI server, idle when the shutdown starts, gets the
  // server's close_notify (the client reads a clean end, not a truncation) and answers it; the
  // report counts it as a TLS connection whose close_notify exchange completed. (Tracked as
  // cleartext, it got a bare FIN, its client saw a truncation, and the report still said COMPLETE.)
  @Tag("G3")
  @Tag("G6")
  @Test
  void sniConnectionEndsWithTheCloseNotifyExchange() throws Exception {
    GracefulServer graceful = GracefulServer.create();
    DisposableServer server = start(graceful);
    try {
      HttpsClient c = sniClient(server).readUntilServerCloses();
      c.get("/").block(WAIT);
      c.awaitResponses(1, WAIT);
      NettyServerShutdownIT.awaitOpen(graceful, 1);
      assertThat(graceful.openConnections()).singleElement().isInstanceOf(NettyTlsConnection.class);

      ShutdownReport report =
          graceful
              .shutdown(
                  server,
                  ServerShutdown.of(ShutdownSpec.bidirectional()).deadline(Duration.ofSeconds(10)))
              .block(WAIT);

      NettyServerShutdownIT.assertClosedAndAnswered(c);
      assertThat(report.connections()).isEqualTo(1);
      ShutdownResult r =
          report.entries().get(0).result().orElseThrow(() -> new AssertionError(report.entries()));
      assertThat(r.protocol()).isEqualTo("TLSv1.3");
      assertThat(r.outcome()).isEqualTo(Outcome.COMPLETE);
      assertThat(r.unauthenticatedEof()).isFalse();
      assertThat(graceful.openConnections()).isEmpty();
    } finally {
      server.disposeNow(Duration.ofSeconds(5));
    }
  }

  // G1, G2, G6: a client that connected before the shutdown sends its hello only once draining
  // began. Its handshake counts as in flight: the shutdown waits for it (within the grace period),
  // then the connection ends with the close_notify exchange, which the JDK's SSLSocket answers.
  @Tag("G1")
  @Tag("G2")
  @Tag("G6")
  @Test
  void handshakeUnderWayWhenTheShutdownStartsCompletesThenEndsWithTheCloseNotify()
      throws Exception {
    GracefulServer graceful = GracefulServer.create();
    DisposableServer server = start(graceful);
    try (Socket raw = new Socket("127.0.0.1", server.port())) {
      NettyServerShutdownIT.awaitOpen(graceful, 1);
      CompletableFuture<ShutdownReport> shutdown =
          graceful
              .shutdown(
                  server,
                  ServerShutdown.of(ShutdownSpec.bidirectional())
                      .grace(Duration.ofSeconds(5))
                      .deadline(Duration.ofSeconds(10)))
              .toFuture();
      NettyServerShutdownIT.awaitUntil(graceful::isDraining);

      try (SSLSocket tls =
          (SSLSocket)
              certs
                  .client()
                  .getSocketFactory()
                  .createSocket(raw, "localhost", server.port(), true)) {
        SSLParameters p = tls.getSSLParameters();
        p.setProtocols(new String[] {"TLSv1.3"});
        p.setServerNames(List.of(new SNIHostName("localhost")));
        tls.setSSLParameters(p);
        tls.setSoTimeout((int) WAIT.toMillis());
        tls.startHandshake();
        assertThat(tls.getInputStream().read())
            .as("the server's close_notify ends the stream")
            .isEqualTo(-1);
      } // closing sends the client's close_notify
      ShutdownReport report = shutdown.get(WAIT.toSeconds(), TimeUnit.SECONDS);

      ShutdownResult r =
          report.entries().get(0).result().orElseThrow(() -> new AssertionError(report.entries()));
      assertThat(r.protocol()).isEqualTo("TLSv1.3");
      assertThat(r.outcome()).isEqualTo(Outcome.COMPLETE);
      assertThat(r.state()).isEqualTo(ShutdownState.SENT_AND_RECEIVED);
      assertThat(report.stragglers()).isEmpty();
    } finally {
      server.disposeNow(Duration.ofSeconds(5));
    }
  }

  // G3, G6: a connection whose client never sent its hello (the SNI handler still waits for it)
  // has no TLS connection to close: it is closed with nothing written (no alert), and the report
  // names it as an ILLEGAL_STATE error, not as a close_notify exchange.
  @Tag("G3")
  @Tag("G6")
  @Test
  void connectionWithoutAHandshakeIsClosedAndReportedAsSuch() throws Exception {
    GracefulServer graceful = GracefulServer.create();
    DisposableServer server = start(graceful);
    try (Socket silent = new Socket("127.0.0.1", server.port())) {
      silent.setSoTimeout((int) WAIT.toMillis());
      NettyServerShutdownIT.awaitOpen(graceful, 1);
      assertThat(graceful.openConnections()).singleElement().isInstanceOf(NettyTlsConnection.class);

      ShutdownReport report =
          graceful
              .shutdown(
                  server,
                  ServerShutdown.of(ShutdownSpec.bidirectional()).deadline(Duration.ofSeconds(10)))
              .block(WAIT);

      InputStream in = silent.getInputStream();
      assertThat(in.read()).as("closed, nothing written").isEqualTo(-1);
      assertThat(report.connections()).isEqualTo(1);
      assertThat(report.outcomes()).isEmpty();
      assertThat(report.errors()).isEqualTo(Map.of(ShutdownException.Reason.ILLEGAL_STATE, 1));
      assertThat(report.stragglers()).isEmpty();
      assertThat(graceful.openConnections()).isEmpty();
    } finally {
      server.disposeNow(Duration.ofSeconds(5));
    }
  }
}
