package dev.graceful.netty;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graceful.core.ServerShutdown;
import dev.graceful.core.ShutdownReport;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.testkit.TestCerts;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.server.HttpServer;
import reactor.netty.resources.ConnectionProvider;

/**
 * G9 with reactor-netty's HTTP client: while a graceful server shuts down under a steady stream of
 * idempotent GETs over keep-alive connections, no request fails. The client's address follows the
 * server's {@code isDraining()}, as a load balancer's would once the server deregisters: new
 * connections go to a second server, while pooled ones to the first stay in use until they close.
 */
@Tag("G9")
class GracefulClientIT {
  static final Duration WAIT = Duration.ofSeconds(60);
  static TestCerts certs;

  @BeforeAll
  static void setUp() {
    certs = TestCerts.create();
  }

  record Backend(GracefulServer graceful, DisposableServer server, AtomicInteger served) {
    InetSocketAddress address() {
      return new InetSocketAddress("127.0.0.1", server.port());
    }
  }

  static Backend backend(boolean tls) throws Exception {
    GracefulServer graceful = GracefulServer.create();
    AtomicInteger served = new AtomicInteger();
    HttpServer base = HttpServer.create().host("127.0.0.1").port(0);
    if (tls) {
      SslContext ctx = NettyEngines.serverContext(SslProvider.JDK, certs);
      base = base.secure(spec -> spec.sslContext(ctx));
    }
    DisposableServer server =
        graceful
            .install(base)
            .handle(
                graceful.http(
                    (req, res) -> {
                      served.incrementAndGet();
                      return res.header("content-length", "2").sendString(Mono.just("ok"));
                    }))
            .bindNow(Duration.ofSeconds(10));
    return new Backend(graceful, server, served);
  }

  @Test
  void noRequestFailsWhileACleartextServerShutsDown() throws Exception {
    keepsEveryRequestWhileTheServerShutsDown(false);
  }

  @Test
  void noRequestFailsWhileATlsServerShutsDown() throws Exception {
    keepsEveryRequestWhileTheServerShutsDown(true);
  }

  void keepsEveryRequestWhileTheServerShutsDown(boolean tls) throws Exception {
    Backend old = backend(tls);
    Backend next = backend(tls);
    ConnectionProvider pool =
        ConnectionProvider.builder("g9")
            .maxConnections(8)
            .evictionPredicate(GracefulClient.evictionPredicate())
            .build();
    HttpClient client =
        GracefulClient.install(HttpClient.create(pool))
            .remoteAddress(() -> old.graceful().isDraining() ? next.address() : old.address());
    if (tls) {
      SslContext trust =
          SslContextBuilder.forClient().trustManager(certs.cert().certificate()).build();
      client = client.secure(spec -> spec.sslContext(trust));
    }
    HttpClient c = client;
    String scheme = tls ? "https" : "http";
    List<Throwable> failures = new CopyOnWriteArrayList<>();
    AtomicInteger ok = new AtomicInteger();
    AtomicBoolean stop = new AtomicBoolean();
    Mono<Void> oneRequest =
        Mono.defer(
                () ->
                    c.get()
                        .uri("/")
                        .responseSingle(
                            (res, body) -> body.asString().map(s -> res.status().code() + " " + s))
                        .retryWhen(GracefulClient.retryUnanswered(3)))
            .doOnNext(
                s -> {
                  if ("200 ok".equals(s)) {
                    ok.incrementAndGet();
                  } else {
                    failures.add(new AssertionError("unexpected response: " + s));
                  }
                })
            .doOnError(failures::add)
            .onErrorResume(e -> Mono.empty())
            .then();
    // 8 workers, each one request after another until told to stop
    Mono<Void> workers = Flux.range(0, 8).flatMap(i -> oneRequest.repeat(() -> !stop.get())).then();
    var running = workers.toFuture();
    try {
      NettyServerShutdownIT.awaitUntil(() -> old.served().get() >= 200 || !failures.isEmpty());
      assertThat(failures).as("failed requests before the shutdown").isEmpty();
      ShutdownReport report =
          old.graceful()
              .shutdown(
                  old.server(),
                  ServerShutdown.of(ShutdownSpec.bidirectional())
                      .grace(Duration.ofSeconds(5))
                      .deadline(Duration.ofSeconds(10)))
              .block(WAIT);
      int atShutdownEnd = ok.get();
      NettyServerShutdownIT.awaitUntil(() -> ok.get() >= atShutdownEnd + 200);
      stop.set(true);
      running.get(WAIT.toSeconds(), TimeUnit.SECONDS);

      assertThat(failures).as("failed requests").isEmpty();
      assertThat(next.served().get()).isPositive();
      assertThat(report.errors()).as("the old server's connections ended without error").isEmpty();
      assertThat(report.stragglers()).isEmpty();
      System.err.printf(
          "%s: %d requests, %d served by the old server, %d refused while draining, %d connections%n",
          scheme, ok.get(), old.served().get(), report.refusedRequests(), report.connections());
    } finally {
      stop.set(true);
      old.server().disposeNow(Duration.ofSeconds(5));
      next.server().disposeNow(Duration.ofSeconds(5));
      pool.disposeLater().block(WAIT);
    }
  }
}
