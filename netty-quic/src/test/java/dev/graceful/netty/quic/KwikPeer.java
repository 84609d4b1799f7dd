package dev.graceful.netty.quic;

import dev.graceful.testkit.TestCerts;
import java.io.InputStream;
import java.net.URI;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import tech.kwik.core.ConnectionTerminatedEvent;
import tech.kwik.core.QuicClientConnection;
import tech.kwik.core.QuicStream;
import tech.kwik.core.server.ApplicationProtocolConnection;
import tech.kwik.core.server.ServerConnectionConfig;
import tech.kwik.core.server.ServerConnector;

/**
 * A plain Kwik peer (no graceful) on loopback, server or client: it reads every stream the other
 * side opens to its end, counting bytes, and records how its connection ended. Test code.
 */
final class KwikPeer implements AutoCloseable {
  static final String ALPN = "graceful";

  final CompletableFuture<ConnectionTerminatedEvent> ended = new CompletableFuture<>();
  final CompletableFuture<tech.kwik.core.QuicConnection> connected = new CompletableFuture<>();
  final AtomicLong bytesRead = new AtomicLong();

  /** Bytes of the first stream whose end (its FIN) the peer's application read, when it did. */
  final CompletableFuture<Long> firstStreamReadToItsEnd = new CompletableFuture<>();

  /** Bytes read when the close arrived. */
  final CompletableFuture<Long> bytesAtClose = new CompletableFuture<>();

  private ServerConnector server;
  private QuicClientConnection client;
  int port;

  private KwikPeer() {}

  /** A Kwik server presenting {@code certs}, idle timeout {@code idleSeconds}. */
  static KwikPeer server(TestCerts certs, int idleSeconds) throws Exception {
    KwikPeer p = new KwikPeer();
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setKeyEntry(
        "s",
        certs.cert().keys().getPrivate(),
        "p".toCharArray(),
        new X509Certificate[] {certs.cert().certificate()});
    p.port = Backend.freeUdpPort();
    p.server =
        ServerConnector.builder()
            .withPort(p.port)
            .withKeyStore(ks, "s", "p".toCharArray())
            .withConfiguration(
                ServerConnectionConfig.builder()
                    .maxIdleTimeoutInSeconds(idleSeconds)
                    .maxOpenPeerInitiatedBidirectionalStreams(10)
                    .maxOpenPeerInitiatedUnidirectionalStreams(10)
                    .maxBidirectionalStreamBufferSize(4_000_000)
                    .maxUnidirectionalStreamBufferSize(4_000_000)
                    .maxConnectionBufferSize(8_000_000)
                    .build())
            .withLogger(new tech.kwik.core.log.NullLogger())
            .build();
    p.server.registerApplicationProtocol(
        ALPN,
        (protocol, connection) -> {
          connection.setConnectionListener(p::onEnd);
          p.connected.complete(connection);
          return new ApplicationProtocolConnection() {
            @Override
            public void acceptPeerInitiatedStream(QuicStream stream) {
              p.read(stream);
            }
          };
        });
    p.server.start();
    return p;
  }

  /**
   * A Kwik client connected to a server on {@code port} presenting {@code certs}. Kwik's client has
   * been seen to fail a handshake on a loaded 2-core machine without saying why ("Handshake error:
   * " and nothing more): such an attempt is repeated once, said on standard error with how the
   * first connection ended, and a second failure fails the test. A handshake that fails with a
   * reason, or a timeout, is not repeated.
   */
  static KwikPeer client(int port, TestCerts certs) throws Exception {
    try {
      return connectOnce(port, certs);
    } catch (java.net.ConnectException e) {
      if (!String.valueOf(e.getMessage()).startsWith("Handshake error:  (")) {
        throw e;
      }
      System.err.println("KwikPeer: " + e.getMessage() + "; connecting once more");
      return connectOnce(port, certs);
    }
  }

  private static KwikPeer connectOnce(int port, TestCerts certs) throws Exception {
    KwikPeer p = new KwikPeer();
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("server", certs.cert().certificate());
    p.port = port;
    p.client =
        QuicClientConnection.newBuilder()
            .uri(URI.create("https://localhost:" + port))
            .proxy("127.0.0.1")
            .applicationProtocol(ALPN)
            .customTrustStore(trust)
            .maxIdleTimeout(Duration.ofSeconds(30))
            .logger(new tech.kwik.core.log.NullLogger())
            .build();
    p.client.setPeerInitiatedStreamCallback(p::read);
    p.client.setConnectionListener(p::onEnd);
    try {
      p.client.connect();
    } catch (java.net.ConnectException e) {
      p.close();
      ConnectionTerminatedEvent end = p.ended.getNow(null);
      java.net.ConnectException named =
          new java.net.ConnectException(
              e.getMessage()
                  + (end == null
                      ? " (no termination reported)"
                      : " (terminated: "
                          + end.closeReason()
                          + ", by peer "
                          + end.closedByPeer()
                          + (end.hasError() ? ", " + end.errorDescription() : "")
                          + ")"));
      named.initCause(e);
      throw named;
    }
    p.connected.complete(p.client);
    return p;
  }

  private void onEnd(ConnectionTerminatedEvent e) {
    bytesAtClose.complete(bytesRead.get());
    ended.complete(e);
  }

  private void read(QuicStream stream) {
    Thread t =
        new Thread(
            () -> {
              byte[] buf = new byte[64 * 1024];
              try {
                InputStream in = stream.getInputStream();
                int n;
                long got = 0;
                while ((n = in.read(buf)) >= 0) {
                  bytesRead.addAndGet(n);
                  got += n;
                }
                firstStreamReadToItsEnd.complete(got);
              } catch (java.io.IOException connectionEnded) {
                // the count stays as it was
              }
            },
            "kwik-peer-reader");
    t.setDaemon(true);
    t.start();
  }

  /** The client's connection. */
  QuicClientConnection kwikClient() {
    return client;
  }

  /** The application code (or transport code) of the peer's close Kwik saw, if any. */
  static long code(ConnectionTerminatedEvent e) {
    Long c = e.hasApplicationError() ? e.applicationErrorCode() : e.transportErrorCode();
    return c == null ? 0 : c;
  }

  /** Kwik formats "Application error: 42 (reason)"; the reason is what the peer sent. */
  static String reason(ConnectionTerminatedEvent e) {
    String d = e.errorDescription();
    int open = d.indexOf(" (");
    return open >= 0 && d.endsWith(")") ? d.substring(open + 2, d.length() - 1) : "";
  }

  @Override
  public void close() {
    if (client != null) {
      client.close();
    }
    if (server != null) {
      server.close();
    }
  }
}
