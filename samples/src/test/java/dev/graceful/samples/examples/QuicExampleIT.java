package dev.graceful.samples.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graceful.core.DrainStatus;
import dev.graceful.core.LoopGroup;
import dev.graceful.core.Outcome;
import dev.graceful.core.ShutdownReport;
import dev.graceful.core.ShutdownResult;
import dev.graceful.quic.QuicServer;
import dev.graceful.testkit.TestCerts;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import tech.kwik.core.QuicClientConnection;

/** The QUIC samples: graceful's Kwik server and a Kwik client that verifies it, on loopback. */
class QuicExampleIT {
  static final Duration WAIT = Duration.ofSeconds(20);
  static final char[] PASSWORD = "example".toCharArray();
  static LoopGroup loops;

  @BeforeAll
  static void setUp() {
    loops = LoopGroup.create(1);
  }

  @AfterAll
  static void tearDown() {
    loops.shutdown().block(WAIT);
  }

  static int freeUdpPort() throws Exception {
    try (DatagramSocket s = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  // Q1, Q5, Q6: 300 kB written without concluding the stream are drained before the close, which
  // completes; then G1, G3, G5, G6 for QUIC: the server's shutdown ends the other open connection.
  @Test
  @Tag("Q1")
  @Tag("Q5")
  @Tag("Q6")
  @Tag("G1")
  @Tag("G3")
  @Tag("G5")
  @Tag("G6")
  void dataIsDrainedBeforeTheCloseAndTheServerShutsDownGracefully() throws Exception {
    TestCerts certs = TestCerts.create();
    KeyStore keys = KeyStore.getInstance("PKCS12");
    keys.load(null, null);
    keys.setKeyEntry(
        "server",
        certs.cert().keys().getPrivate(),
        PASSWORD,
        new X509Certificate[] {certs.cert().certificate()});
    KeyStore trusted = KeyStore.getInstance("PKCS12");
    trusted.load(null, null);
    trusted.setCertificateEntry("ca", certs.cert().certificate());
    int port = freeUdpPort();
    QuicServer server = QuicExample.serve(keys, "server", PASSWORD, port, loops);
    try {
      byte[] payload = new byte[300_000];
      QuicClientConnection first = QuicExample.connect("localhost", port, trusted);
      // connected before the first one's drain and closing period, so that the server has
      // accepted it (its side of the handshake ends a packet after the client's) when it stops
      QuicClientConnection second = QuicExample.connect("localhost", port, trusted);
      second.createStream(true).getOutputStream().write(ByteBuffer.allocate(10).array());

      ShutdownResult r = QuicExample.sendThenClose(first, loops, payload);

      assertThat(r.outcome()).isEqualTo(Outcome.COMPLETE);
      assertThat(r.drained()).isEqualTo(DrainStatus.DRAINED);
      assertThat(r.peerErrorCode()).isEmpty();

      ShutdownReport report = QuicExample.stop(server);

      assertThat(report.connections()).isGreaterThanOrEqualTo(1);
      assertThat(report.errors()).isEmpty();
      assertThat(report.stragglers()).isEmpty();
      assertThat(report.outcomes()).containsOnlyKeys(Outcome.COMPLETE);
    } finally {
      server.close();
    }
  }
}
