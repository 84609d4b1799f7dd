package dev.graceful.tls;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graceful.core.LoopGroup;
import dev.graceful.testkit.TestCerts;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLEngine;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import reactor.test.scheduler.VirtualTimeScheduler;

/**
 * A DTLS peer that sends its ClientHello and is never heard from again (it vanished, or its source
 * address was spoofed): the server drops it at the handshake deadline, so neither its state nor
 * {@link DtlsServer#connections()} after {@code stopAccepting()} waits forever. A real UDP socket
 * sends a real JDK client's hello; the deadline runs on virtual time.
 */
class DtlsHandshakeDeadlineIT {
  static final Duration WAIT = Duration.ofSeconds(30);
  LoopGroup loops;
  TestCerts certs;
  VirtualTimeScheduler time;

  @BeforeEach
  void start() {
    loops = LoopGroup.create(1);
    certs = TestCerts.create();
    time = VirtualTimeScheduler.create();
  }

  @AfterEach
  void stop() {
    time.dispose();
    loops.shutdown().block(WAIT);
  }

  /** One ClientHello datagram from a JDK DTLS client, which is then dropped. */
  byte[] clientHello(InetSocketAddress server) throws Exception {
    SSLEngine client = certs.dtlsClient().createSSLEngine(server.getHostString(), server.getPort());
    client.setUseClientMode(true);
    client.beginHandshake();
    ByteBuffer out = ByteBuffer.allocate(client.getSession().getPacketBufferSize());
    client.wrap(ByteBuffer.allocate(0), out);
    out.flip();
    byte[] hello = new byte[out.remaining()];
    out.get(hello);
    return hello;
  }

  // G1 over DTLS: after stopAccepting(), connections() completes once the peer that never finished
  // its handshake met the deadline; the peer is counted as a failed handshake.
  @Tag("G1")
  @Test
  void aPeerThatVanishesAfterItsHelloIsDroppedAtTheHandshakeDeadline() throws Exception {
    DtlsServer server =
        DtlsServer.bind(
                new InetSocketAddress("127.0.0.1", 0),
                certs.dtlsServer(),
                loops,
                e -> {},
                TlsServerOptions.defaults().handshakeTimeout(Duration.ofSeconds(5)).scheduler(time))
            .block(WAIT);
    CompletableFuture<List<TlsConnection>> emitted = server.connections().collectList().toFuture();
    try (DatagramSocket peer = new DatagramSocket()) {
      peer.setSoTimeout((int) WAIT.toMillis());
      byte[] hello = clientHello(server.address());
      peer.send(new DatagramPacket(hello, hello.length, server.address()));
      DatagramPacket answer = new DatagramPacket(new byte[2048], 2048);
      peer.receive(answer); // the server began that peer's handshake
      assertThat(answer.getLength()).isPositive();

      server.stopAccepting().block(WAIT);
      time.advanceTimeBy(Duration.ofMillis(4_999));
      assertThat(emitted).as("the handshake is still under way").isNotDone();
      assertThat(server.handshakeFailures()).isZero();

      time.advanceTimeBy(Duration.ofMillis(1));
      assertThat(emitted.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isEmpty();
      assertThat(server.handshakeFailures()).isEqualTo(1);
    } finally {
      server.close().block(WAIT);
    }
  }
}
