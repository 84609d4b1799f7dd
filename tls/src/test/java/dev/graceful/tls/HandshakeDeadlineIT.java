package dev.graceful.tls;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graceful.core.LoopGroup;
import dev.graceful.core.ServerShutdown;
import dev.graceful.core.ShutdownReport;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.testkit.LogWatch;
import dev.graceful.testkit.TestCerts;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import reactor.test.scheduler.VirtualTimeScheduler;

/**
 * Accepted sockets that never complete a TLS handshake, from real raw TCP clients that connect and
 * send nothing: the handshake deadline closes them, and a server shutdown closes the ones that
 * never sent a hello at once, so neither {@link TlsServer#connections()} nor the shutdown waits for
 * them.
 */
class HandshakeDeadlineIT {
  static final Duration WAIT = Duration.ofSeconds(30);
  LoopGroup loops;
  TestCerts certs;
  VirtualTimeScheduler time;
  final List<Socket> clients = new ArrayList<>();

  @BeforeEach
  void start() {
    loops = LoopGroup.create(2);
    certs = TestCerts.create();
    time = VirtualTimeScheduler.create();
  }

  @AfterEach
  void stop() throws IOException {
    for (Socket s : clients) {
      s.close();
    }
    time.dispose();
    loops.shutdown().block(WAIT);
  }

  /** A server whose every accepted socket counts down {@code accepted} once its engine is made. */
  TlsServer server(CountDownLatch accepted, TlsServerOptions options) {
    return TlsServer.bind(
            new InetSocketAddress("127.0.0.1", 0),
            certs.server(),
            loops,
            e -> accepted.countDown(),
            options)
        .block(WAIT);
  }

  /**
   * @return a raw TCP client of {@code server} that will never send a byte
   */
  Socket silentClient(TlsServer server) throws IOException {
    Socket s = new Socket(server.address().getAddress(), server.address().getPort());
    s.setSoTimeout((int) WAIT.toMillis());
    clients.add(s);
    return s;
  }

  static void awaitAccepted(CountDownLatch accepted) throws InterruptedException {
    assertThat(accepted.await(WAIT.toSeconds(), TimeUnit.SECONDS))
        .as("the server accepted every client")
        .isTrue();
  }

  // A socket that never handshakes is closed at the handshake deadline, counted as a failed
  // handshake; one accepted at the same time that does handshake is unaffected. Virtual time.
  @Test
  void aSocketThatNeverHandshakesIsClosedAtTheHandshakeDeadline() throws Exception {
    CountDownLatch accepted = new CountDownLatch(1);
    TlsServer server =
        server(
            accepted,
            TlsServerOptions.defaults().handshakeTimeout(Duration.ofSeconds(10)).scheduler(time));
    try {
      Socket silent = silentClient(server);
      awaitAccepted(accepted);
      time.advanceTimeBy(Duration.ofMillis(9_999));
      assertThat(server.handshakeFailures()).isZero();
      time.advanceTimeBy(Duration.ofMillis(1));
      assertThat(silent.getInputStream().read())
          .as("closed by the server, nothing sent")
          .isEqualTo(-1);
      assertThat(server.handshakeFailures()).isEqualTo(1);
    } finally {
      server.stopAccepting().block(WAIT);
    }
  }

  // Loops stopping under sockets that never handshook close those sockets, and every pending
  // handshake is abandoned without a failure logged.
  @Test
  void loopsStoppingCloseSocketsStillHandshakingAndLogNoFailure() throws Exception {
    CountDownLatch accepted = new CountDownLatch(2);
    TlsServer server = server(accepted, TlsServerOptions.defaults());
    Socket a = silentClient(server);
    Socket b = silentClient(server);
    awaitAccepted(accepted);
    List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
    LogWatch deadlines =
        LogWatch.failures("dev.graceful.core.spi.loop.LoopDeadlines", failures::add);
    LogWatch loop = LogWatch.failures("dev.graceful.core.spi.loop.SelectorLoop", failures::add);
    try {
      loops.shutdown().block(WAIT);
    } finally {
      deadlines.close();
      loop.close();
    }
    assertThat(a.getInputStream().read()).as("closed, nothing sent").isEqualTo(-1);
    assertThat(b.getInputStream().read()).as("closed, nothing sent").isEqualTo(-1);
    assertThat(failures).as("failures logged").isEmpty();
  }

  // G1: after stopAccepting(), connections() completes once the sockets that never handshake have
  // met their deadline, not never.
  @Tag("G1")
  @Test
  void connectionsCompleteAfterStopAcceptingOnceSilentSocketsMeetTheirDeadline() throws Exception {
    CountDownLatch accepted = new CountDownLatch(2);
    TlsServer server =
        server(
            accepted,
            TlsServerOptions.defaults().handshakeTimeout(Duration.ofSeconds(5)).scheduler(time));
    CompletableFuture<List<TlsConnection>> emitted = server.connections().collectList().toFuture();
    Socket a = silentClient(server);
    Socket b = silentClient(server);
    awaitAccepted(accepted);
    server.stopAccepting().block(WAIT);
    assertThat(emitted).isNotDone();
    time.advanceTimeBy(Duration.ofSeconds(5));
    assertThat(emitted.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isEmpty();
    assertThat(a.getInputStream().read()).isEqualTo(-1);
    assertThat(b.getInputStream().read()).isEqualTo(-1);
  }

  // G1, G10: a server shutdown closes at once every accepted socket that has not sent a hello
  // (it has no TLS session to end), so the report comes long before the deadline and
  // connections() completes; a client that does handshake is shut down with a close_notify.
  @Tag("G1")
  @Tag("G10")
  @Test
  void serverShutdownClosesSocketsThatNeverSentAHelloAtOnce() throws Exception {
    CountDownLatch accepted = new CountDownLatch(4);
    TlsServer server = server(accepted, TlsServerOptions.defaults());
    CompletableFuture<List<TlsConnection>> emitted = server.connections().collectList().toFuture();
    List<Socket> silent = List.of(silentClient(server), silentClient(server), silentClient(server));
    try (SSLSocket tls =
        (SSLSocket)
            certs
                .client()
                .getSocketFactory()
                .createSocket("127.0.0.1", server.address().getPort())) {
      tls.setSoTimeout((int) WAIT.toMillis());
      tls.startHandshake();
      awaitAccepted(accepted);

      ShutdownReport report =
          server
              .shutdown(
                  ServerShutdown.of(ShutdownSpec.bidirectional().fast())
                      .deadline(Duration.ofSeconds(60)))
              .block(
                  Duration.ofSeconds(10)); // well before the deadline: nothing waits for the silent

      assertThat(report.connections()).as("the handshaken client only").isEqualTo(1);
      for (Socket s : silent) {
        assertThat(s.getInputStream().read()).as("closed with nothing sent").isEqualTo(-1);
      }
      assertThat(emitted.get(WAIT.toSeconds(), TimeUnit.SECONDS)).hasSize(1);
      assertThat(tls.getInputStream().read()).as("the server's close_notify").isEqualTo(-1);
    }
  }
}
