package dev.graceful.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graceful.core.LoopGroup;
import dev.graceful.core.Outcome;
import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.testkit.TestCerts;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

/**
 * G1 on {@link TlsServer}: what stopping accepting does to a socket whose handshake is under way.
 */
class StopAcceptingIT {
  static final Duration WAIT = Duration.ofSeconds(30);
  LoopGroup loops;
  TestCerts certs;

  @BeforeEach
  void start() {
    loops = LoopGroup.create(2);
    certs = TestCerts.create();
  }

  @AfterEach
  void stop() {
    loops.shutdown().block(WAIT);
  }

  // G1: the listener closes, but a socket accepted before it whose handshake finishes afterwards
  // is still emitted (then ended gracefully by its owner) instead of being dropped open and
  // unowned; the flux completes once that handshake has settled.
  @Tag("G1")
  @Test
  void handshakeUnderWayAtStopIsStillEmitted() throws Exception {
    CountDownLatch handshakeStarted = new CountDownLatch(1);
    TlsServer server =
        TlsServer.bind(
                new InetSocketAddress("127.0.0.1", 0),
                certs.server(),
                loops,
                e -> handshakeStarted.countDown())
            .block(WAIT);
    InetSocketAddress at = server.address();
    try (Socket tcp = new Socket(at.getAddress(), at.getPort())) {
      assertThat(handshakeStarted.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
      server.stopAccepting().block(WAIT);
      assertThatThrownBy(() -> new Socket(at.getAddress(), at.getPort()).close())
          .isInstanceOf(IOException.class);

      Mono<List<TlsConnection>> emitted = server.connections().collectList().cache();
      emitted.subscribe();
      SSLSocket tls =
          (SSLSocket)
              certs.client().getSocketFactory().createSocket(tcp, "localhost", at.getPort(), true);
      tls.startHandshake();
      List<TlsConnection> connections = emitted.block(WAIT);
      assertThat(connections).hasSize(1);

      Mono<ShutdownResult> ending =
          connections.get(0).shutdown(ShutdownSpec.bidirectional()).cache();
      ending.subscribe();
      assertThat(tls.getInputStream().read())
          .as("the server's close_notify ends the stream")
          .isEqualTo(-1);
      tls.close(); // answers with its own close_notify
      assertThat(ending.block(WAIT).outcome()).isEqualTo(Outcome.COMPLETE);
    }
  }
}
