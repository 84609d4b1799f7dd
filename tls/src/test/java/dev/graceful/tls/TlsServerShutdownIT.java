package dev.graceful.tls;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graceful.core.GracefulShutdown;
import dev.graceful.core.LoopGroup;
import dev.graceful.core.Outcome;
import dev.graceful.core.ServerShutdown;
import dev.graceful.core.ShutdownReport;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.core.ShutdownState;
import dev.graceful.testkit.PeerProcess;
import dev.graceful.testkit.ReportShape;
import dev.graceful.testkit.TestCerts;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Schedulers;

/**
 * G10 for graceful's own servers: {@link TlsServer} and {@link DtlsServer} as {@link
 * GracefulShutdown}s, openssl peers.
 */
class TlsServerShutdownIT {
  static final Duration WAIT = Duration.ofSeconds(30);

  /** One policy object for every server kind. */
  static final ServerShutdown HOW =
      ServerShutdown.of(ShutdownSpec.bidirectional())
          .grace(Duration.ofSeconds(5))
          .deadline(Duration.ofSeconds(10));

  static LoopGroup loops;
  static TestCerts certs;

  @BeforeAll
  static void setUp() {
    loops = LoopGroup.create(2);
    certs = TestCerts.create();
  }

  @AfterAll
  static void tearDown() {
    loops.shutdown().block(WAIT);
  }

  private static TlsConnection next(BlockingQueue<TlsConnection> q) throws InterruptedException {
    TlsConnection c = q.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
    assertThat(c).as("accepted").isNotNull();
    return c;
  }

  // G10, G1, G3, G5: the TLS server, through the one interface, stops accepting, ends both
  // connections with a close_notify exchange, releases them and reports; a second subscription,
  // even with another policy, observes the same report.
  @Tag("G10")
  @Test
  void tlsServerIsShutDownByThePolicyAndReportsEveryConnection() throws Exception {
    TlsServer server =
        TlsServer.bind(new InetSocketAddress("127.0.0.1", 0), certs.server(), loops, e -> {})
            .block(WAIT);
    BlockingQueue<TlsConnection> accepted = new LinkedBlockingQueue<>();
    server.connections().subscribe(accepted::add);
    String at = "127.0.0.1:" + server.address().getPort();
    try (PeerProcess a = PeerProcess.start("s_client", "-connect", at, "-tls1_3");
        PeerProcess b = PeerProcess.start("s_client", "-connect", at, "-tls1_2")) {
      TlsConnection first = next(accepted);
      TlsConnection second = next(accepted);
      GracefulShutdown graceful = server;
      assertThat(graceful.isShuttingDown()).isFalse();
      assertThat(server.openConnections()).containsExactlyInAnyOrder(first, second);

      ShutdownReport report = graceful.shutdown(HOW).block(WAIT);

      assertThat(graceful.isShuttingDown()).isTrue();
      ReportShape.assertClean(report, 2, Outcome.COMPLETE);
      assertThat(report.entries())
          .allSatisfy(
              e ->
                  assertThat(e.result().orElseThrow().state())
                      .isEqualTo(ShutdownState.SENT_AND_RECEIVED));
      assertThat(first.isReleased()).isTrue();
      assertThat(second.isReleased()).isTrue();
      assertThat(server.openConnections()).isEmpty();
      assertThat(a.awaitExit(WAIT)).isZero();
      assertThat(b.awaitExit(WAIT)).isZero();
      assertThat(
              graceful.shutdown(ServerShutdown.of(ShutdownSpec.bidirectional().fast())).block(WAIT))
          .isSameAs(report);
    }
  }

  // G2 for a TLS server: work the application marks with track() finishes within the grace
  // period before the connection's close_notify goes out.
  @Tag("G10")
  @Tag("G2")
  @Test
  void trackedWorkFinishesBeforeTheConnectionIsShutDown() throws Exception {
    TlsServer server =
        TlsServer.bind(new InetSocketAddress("127.0.0.1", 0), certs.server(), loops, e -> {})
            .block(WAIT);
    BlockingQueue<TlsConnection> accepted = new LinkedBlockingQueue<>();
    server.connections().subscribe(accepted::add);
    try (PeerProcess peer =
        PeerProcess.start("s_client", "-connect", "127.0.0.1:" + server.address().getPort())) {
      TlsConnection c = next(accepted);
      Sinks.Empty<Void> workDone = Sinks.empty();
      AtomicReference<ShutdownState> stateWhenWorkEnded = new AtomicReference<>();
      server
          .track(
              c, workDone.asMono().doOnTerminate(() -> stateWhenWorkEnded.set(c.shutdownState())))
          .subscribe();

      Mono<ShutdownReport> shutdown = server.shutdown(HOW).cache();
      shutdown.subscribe();
      assertThat(server.isShuttingDown()).isTrue();
      workDone.tryEmitEmpty();
      ShutdownReport report = shutdown.block(WAIT);

      assertThat(stateWhenWorkEnded.get()).isEqualTo(ShutdownState.NONE);
      ReportShape.assertClean(report, 1, Outcome.COMPLETE);
      assertThat(peer.awaitExit(WAIT)).isZero();
    }
  }

  // G10, T14: the DTLS server, through the same interface and the same policy object, ends its
  // connection with a close_notify exchange bounded by the deadline, closes its socket, reports.
  @Tag("G10")
  @Tag("T14")
  @Test
  void dtlsServerIsShutDownByThePolicyAndReportsEveryConnection() throws Exception {
    DtlsServer server =
        DtlsServer.bind(
                new InetSocketAddress("127.0.0.1", 0),
                certs.dtlsServer(),
                loops,
                e -> {},
                Schedulers.parallel())
            .block(WAIT);
    BlockingQueue<TlsConnection> accepted = new LinkedBlockingQueue<>();
    server.connections().subscribe(accepted::add);
    try (PeerProcess peer =
        PeerProcess.start(
            "s_client", "-dtls1_2", "-connect", "127.0.0.1:" + server.address().getPort())) {
      TlsConnection c = next(accepted);
      GracefulShutdown graceful = server;

      ShutdownReport report = graceful.shutdown(HOW).block(WAIT);

      assertThat(graceful.isShuttingDown()).isTrue();
      ReportShape.assertClean(report, 1, Outcome.COMPLETE);
      assertThat(report.entries().get(0).connectionId()).isEqualTo(c.connectionId());
      assertThat(c.isReleased()).isTrue();
      assertThat(server.openConnections()).isEmpty();
      assertThat(peer.awaitExit(WAIT)).isZero();
    }
  }
}
