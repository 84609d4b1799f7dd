package dev.graceful.quic;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graceful.tls.SelfSignedCertificate;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tech.kwik.core.ConnectionTerminatedEvent;
import tech.kwik.core.QuicClientConnection;
import tech.kwik.core.server.ApplicationProtocolConnection;
import tech.kwik.core.server.ServerConnectionConfig;
import tech.kwik.core.server.ServerConnector;

/**
 * Q1–Q3 against real Kwik peers on loopback: what a Kwik server receives when a Kwik client closes
 * with arguments fitted by {@link QuicCloseArguments}, and, for contrast, with a raw long reason.
 */
class KwikCloseReasonIT {
  ServerConnector server;
  int port;
  final CompletableFuture<ConnectionTerminatedEvent> serverSaw = new CompletableFuture<>();
  final CompletableFuture<Void> serverReady = new CompletableFuture<>();

  @BeforeEach
  void startServer() throws Exception {
    SelfSignedCertificate cert = SelfSignedCertificate.generate();
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setKeyEntry("server", cert.keys().getPrivate(), "graceful".toCharArray(), new X509Certificate[] {cert.certificate()});
    try (DatagramSocket probe = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
      port = probe.getLocalPort();
    }
    server =
        ServerConnector.builder()
            .withPort(port)
            .withKeyStore(ks, "server", "graceful".toCharArray())
            .withConfiguration(ServerConnectionConfig.builder().maxIdleTimeoutInSeconds(2).build())
            .withLogger(new tech.kwik.core.log.NullLogger()) // Kwik requires one
            .build();
    server.registerApplicationProtocol(
        "graceful",
        (protocol, connection) -> {
          connection.setConnectionListener(serverSaw::complete);
          serverReady.complete(null);
          return new ApplicationProtocolConnection() {};
        });
    server.start();
  }

  @AfterEach
  void stopServer() {
    server.close();
  }

  QuicClientConnection connect() throws Exception {
    QuicClientConnection c =
        QuicClientConnection.newBuilder()
            .uri(URI.create("https://127.0.0.1:" + port))
            .applicationProtocol("graceful")
            .noServerCertificateCheck()
            .maxIdleTimeout(java.time.Duration.ofSeconds(2))
            .build();
    c.connect();
    // The server's side exists (and listens) only once its handshake completed: a close sent
    // before that could be processed before the listener is set.
    serverReady.get(10, TimeUnit.SECONDS);
    return c;
  }

  // Q1, Q3: a 10 kB multi-byte reason, fitted, arrives truncated, valid, with the code.
  @Test
  void fittedLongReasonArrivesTruncatedAndValid() throws Exception {
    String reason = "€😀é".repeat(2_000);
    QuicCloseArguments args = QuicCloseArguments.of(42, reason, "client");
    QuicClientConnection c = connect();
    c.close(args.errorCode(), args.reason());
    ConnectionTerminatedEvent e = serverSaw.get(10, TimeUnit.SECONDS);
    assertThat(e.closedByPeer()).isTrue();
    assertThat(e.closeReason()).isEqualTo(ConnectionTerminatedEvent.CloseReason.ImmediateClose);
    assertThat(e.applicationErrorCode()).isEqualTo(42L);
    // Kwik reports "Application error: <code> (<reason>)"
    assertThat(e.errorDescription()).isEqualTo("Application error: 42 (" + args.reason() + ")");
    assertThat(args.reason().getBytes(StandardCharsets.UTF_8).length).isBetween(1021, 1024);
    assertThat(reason).startsWith(args.reason());
  }

  // Why Q3 matters: the same reason handed to Kwik unfitted sends no CONNECTION_CLOSE at all; the
  // server learns of the end only from its idle timeout.
  @Test
  void rawLongReasonSendsNoConnectionClose() throws Exception {
    QuicClientConnection c = connect();
    c.close(42, "€😀é".repeat(2_000));
    ConnectionTerminatedEvent e = serverSaw.get(10, TimeUnit.SECONDS);
    assertThat(e.closedByPeer()).isFalse();
    assertThat(e.closeReason()).isNotEqualTo(ConnectionTerminatedEvent.CloseReason.ImmediateClose);
  }
}
