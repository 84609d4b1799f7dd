package dev.graceful.quic;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graceful.core.GracefulShutdown;
import dev.graceful.core.LoopGroup;
import dev.graceful.core.Outcome;
import dev.graceful.core.ServerShutdown;
import dev.graceful.core.ShutdownReport;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.core.ShutdownState;
import dev.graceful.testkit.ReportShape;
import java.io.InputStream;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import tech.kwik.core.QuicClientConnection;
import tech.kwik.core.QuicStream;

/** G10 and G2 for {@link QuicServer}, with real Kwik clients. */
class QuicServerShutdownIT {
  static final Duration WAIT = Duration.ofSeconds(30);

  /** The same policy object as every other server kind's test. */
  static final ServerShutdown HOW =
      ServerShutdown.of(ShutdownSpec.bidirectional())
          .grace(Duration.ofSeconds(5))
          .deadline(Duration.ofSeconds(10));

  LoopGroup loops;
  DatagramSocket socket;
  QuicServer server;
  final ExecutorService readers = Executors.newCachedThreadPool();

  @BeforeEach
  void start() throws Exception {
    System.setProperty("tech.kwik.core.no-security-warnings", "true");
    loops = LoopGroup.create(1);
    socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    server = QuicServer.start(QuicServerIT.connector(socket), "graceful", loops);
  }

  @AfterEach
  void stop() {
    server.close();
    readers.shutdownNow();
    loops.shutdown().block(WAIT);
  }

  // G10: the QUIC server, through the one interface and the same policy object as the TLS and
  // DTLS servers, closes its idle connection (RFC mode) and reports it with the same fields; a
  // second subscription observes the same report.
  @Tag("G10")
  @Test
  void quicServerIsShutDownByThePolicyAndReportsEveryConnection() throws Exception {
    CompletableFuture<QuicServer.Accepted> first = server.connections().next().toFuture();
    QuicClientConnection client = QuicServerIT.client(socket.getLocalPort());
    QuicConnection c = first.get(10, TimeUnit.SECONDS).connection();
    GracefulShutdown graceful = server;
    assertThat(graceful.isShuttingDown()).isFalse();

    ShutdownReport report = graceful.shutdown(HOW).block(WAIT);

    assertThat(graceful.isShuttingDown()).isTrue();
    ReportShape.assertClean(report, 1, Outcome.COMPLETE);
    assertThat(report.entries().get(0).connectionId()).isEqualTo(c.connectionId());
    assertThat(server.openConnections()).isEmpty();
    assertThat(
            graceful.shutdown(ServerShutdown.of(ShutdownSpec.bidirectional().rapid())).block(WAIT))
        .isSameAs(report);
    client.close();
  }

  // G2 for QUIC: a request stream the client opened counts as in flight until the server's side
  // of it is over; the shutdown, already under way, waits for the response to be written and
  // concluded before the CONNECTION_CLOSE, and the client reads all of it.
  @Tag("G2")
  @Tag("G10")
  @Test
  void requestStreamInFlightIsAnsweredBeforeTheClose() throws Exception {
    int size = 100_000;
    CompletableFuture<QuicServer.Accepted> first = server.connections().next().toFuture();
    QuicClientConnection client = QuicServerIT.client(socket.getLocalPort());
    QuicServer.Accepted accepted = first.get(10, TimeUnit.SECONDS);
    CompletableFuture<QuicStreamHandle> request = accepted.peerStreams().next().toFuture();
    QuicStream stream = client.createStream(true);
    stream.getOutputStream().write("request".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    stream.getOutputStream().close();
    CompletableFuture<Long> responseRead =
        CompletableFuture.supplyAsync(() -> readAll(stream.getInputStream()), readers);
    QuicStreamHandle h = request.get(10, TimeUnit.SECONDS);
    assertThat(h.readAll().block(WAIT)).isEqualTo(7);

    Mono<ShutdownReport> shutdown = server.shutdown(HOW).cache();
    shutdown.subscribe();
    assertThat(server.isShuttingDown()).isTrue();
    assertThat(accepted.connection().shutdownState())
        .as("waiting for the request")
        .isEqualTo(ShutdownState.NONE);
    h.write(ByteBuffer.allocate(size)).then(h.conclude()).block(WAIT);
    ShutdownReport report = shutdown.block(WAIT);

    assertThat(responseRead.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(size);
    ReportShape.assertClean(report, 1, Outcome.COMPLETE);
    client.close();
  }

  private static long readAll(InputStream in) {
    byte[] buf = new byte[16384];
    long total = 0;
    try {
      for (int n; (n = in.read(buf)) >= 0; ) {
        total += n;
      }
    } catch (java.io.IOException e) {
      return -total - 1; // cut short
    }
    return total;
  }
}
