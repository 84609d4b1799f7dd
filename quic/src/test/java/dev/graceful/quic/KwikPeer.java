package dev.graceful.quic;

import dev.graceful.testkit.SelfSignedCertificate;
import java.io.InputStream;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.URI;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import tech.kwik.core.ConnectionTerminatedEvent;
import tech.kwik.core.QuicClientConnection;
import tech.kwik.core.server.ApplicationProtocolConnection;
import tech.kwik.core.server.ServerConnectionConfig;
import tech.kwik.core.server.ServerConnector;

/**
 * A real Kwik server on loopback that reads every stream to its end, counting bytes, and records
 * how its single connection ended. Test code.
 */
final class KwikPeer implements AutoCloseable {
  final ServerConnector server;
  final int port;
  final CompletableFuture<ConnectionTerminatedEvent> ended = new CompletableFuture<>();
  final CompletableFuture<tech.kwik.core.QuicConnection> connected = new CompletableFuture<>();
  final AtomicLong bytesRead = new AtomicLong();

  /** Bytes read when the close arrived: what the application had received before the end. */
  final CompletableFuture<Long> bytesAtClose = new CompletableFuture<>();

  /**
   * Bytes Kwik had received in order on the peer's streams when the close arrived, read or not:
   * what a drain's acknowledgements prove (Kwik drops what its application has not read yet when
   * the connection closes, so {@link #bytesAtClose} may be a little short of it).
   */
  final CompletableFuture<Long> receivedAtClose = new CompletableFuture<>();

  private final java.util.List<tech.kwik.core.QuicStream> streams =
      new java.util.concurrent.CopyOnWriteArrayList<>();

  /**
   * How each stream the peer read ended, by stream id: {@code "FIN after N bytes"}, or {@code
   * "reset after N bytes: <Kwik's message>"} when it was reset (Kwik does not keep the reset's
   * error code).
   */
  final java.util.Map<Integer, CompletableFuture<String>> streamEnds =
      new java.util.concurrent.ConcurrentHashMap<>();

  private final long ackAfter;

  /**
   * The certificate this server presents, for {@code localhost} and {@code 127.0.0.1} unless
   * chosen.
   */
  final SelfSignedCertificate cert;

  /** Open unless made by {@link #holding()}: the peer application reads once it opens. */
  private final java.util.concurrent.CountDownLatch reading;

  KwikPeer() throws Exception {
    this(30);
  }

  KwikPeer(int idleTimeoutSeconds) throws Exception {
    this(idleTimeoutSeconds, -1);
  }

  /**
   * A peer whose application answers one byte on a stream once it has read {@code ackAfter} bytes
   * from it.
   */
  KwikPeer(int idleTimeoutSeconds, long ackAfter) throws Exception {
    this(idleTimeoutSeconds, ackAfter, 0);
  }

  /**
   * A peer whose application reads nothing until {@link #startReading()}: its flow control holds
   * the sender.
   */
  static KwikPeer holding() throws Exception {
    return new KwikPeer(30, -1, 1, SelfSignedCertificate.generate());
  }

  /**
   * As {@link #holding()}, with a stream window of {@code streamWindow} bytes: a sender is held
   * once it has sent that much on a stream.
   */
  static KwikPeer holding(int streamWindow) throws Exception {
    return new KwikPeer(30, -1, 1, SelfSignedCertificate.generate(), streamWindow);
  }

  /** A peer presenting {@code cert} (for example one for another host). */
  static KwikPeer presenting(SelfSignedCertificate cert) throws Exception {
    return new KwikPeer(30, -1, 0, cert);
  }

  private KwikPeer(int idleTimeoutSeconds, long ackAfter, int gates) throws Exception {
    this(idleTimeoutSeconds, ackAfter, gates, SelfSignedCertificate.generate());
  }

  private KwikPeer(int idleTimeoutSeconds, long ackAfter, int gates, SelfSignedCertificate cert)
      throws Exception {
    this(idleTimeoutSeconds, ackAfter, gates, cert, 4_000_000);
  }

  private KwikPeer(
      int idleTimeoutSeconds,
      long ackAfter,
      int gates,
      SelfSignedCertificate cert,
      int streamWindow)
      throws Exception {
    this.ackAfter = ackAfter;
    this.reading = new java.util.concurrent.CountDownLatch(gates);
    this.cert = cert;
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setKeyEntry(
        "server",
        cert.keys().getPrivate(),
        "graceful".toCharArray(),
        new X509Certificate[] {cert.certificate()});
    try (DatagramSocket probe = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
      port = probe.getLocalPort();
    }
    server =
        ServerConnector.builder()
            .withPort(port)
            .withKeyStore(ks, "server", "graceful".toCharArray())
            .withConfiguration(
                ServerConnectionConfig.builder()
                    .maxIdleTimeoutInSeconds(idleTimeoutSeconds)
                    .maxOpenPeerInitiatedBidirectionalStreams(10)
                    .maxBidirectionalStreamBufferSize(streamWindow)
                    .maxConnectionBufferSize(8_000_000)
                    .build())
            .withLogger(new tech.kwik.core.log.NullLogger())
            .build();
    server.registerApplicationProtocol(
        "graceful",
        (protocol, connection) -> {
          connection.setConnectionListener(
              e -> {
                bytesAtClose.complete(bytesRead.get());
                receivedAtClose.complete(
                    streams.stream().mapToLong(KwikPeer::receivedInOrder).sum());
                ended.complete(e);
              });
          connected.complete(connection);
          return new ApplicationProtocolConnection() {
            @Override
            public void acceptPeerInitiatedStream(tech.kwik.core.QuicStream stream) {
              streams.add(stream);
              Thread t = new Thread(() -> drain(stream), "kwik-peer-reader");
              t.setDaemon(true);
              t.start();
            }
          };
        });
    server.start();
  }

  /**
   * @param streamId a stream the peer opened or the client opened towards it
   * @return how it ended, as the peer's application saw it
   */
  CompletableFuture<String> streamEnd(int streamId) {
    return streamEnds.computeIfAbsent(streamId, id -> new CompletableFuture<>());
  }

  /**
   * @param streamId a stream the client opened
   * @return whether Kwik received a RESET_STREAM on it, and the final size it carried (-1 when none
   *     was received), read from Kwik's internals
   */
  long resetFinalSize(int streamId) {
    for (tech.kwik.core.QuicStream s : streams) {
      if (s.getStreamId() == streamId) {
        try {
          Object in = s.getInputStream();
          java.lang.reflect.Field reset = in.getClass().getDeclaredField("reset");
          java.lang.reflect.Field size = in.getClass().getDeclaredField("finalSize");
          reset.setAccessible(true);
          size.setAccessible(true);
          return (boolean) reset.get(in) ? (long) size.get(in) : -1;
        } catch (ReflectiveOperationException e) {
          throw new IllegalStateException("Kwik's stream state is not readable", e);
        }
      }
    }
    return -1;
  }

  private void drain(tech.kwik.core.QuicStream stream) {
    byte[] buf = new byte[64 * 1024];
    long onThisStream = 0;
    CompletableFuture<String> end = streamEnd(stream.getStreamId());
    try {
      reading.await();
      InputStream in = stream.getInputStream();
      int n;
      while ((n = in.read(buf)) >= 0) {
        bytesRead.addAndGet(n);
        long before = onThisStream;
        onThisStream += n;
        if (ackAfter >= 0 && before < ackAfter && onThisStream >= ackAfter) {
          stream.getOutputStream().write(1);
          stream.getOutputStream().flush();
        }
      }
      end.complete("FIN after " + onThisStream + " bytes");
    } catch (java.io.IOException ended) {
      // reset, or the connection ended
      end.complete("reset after " + onThisStream + " bytes: " + ended.getMessage());
    } catch (InterruptedException stopped) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * @return the stream's bytes received in order (read, or waiting to be read), from Kwik's
   *     internals
   */
  private static long receivedInOrder(tech.kwik.core.QuicStream stream) {
    try {
      Object in = stream.getInputStream();
      java.lang.reflect.Field f = in.getClass().getDeclaredField("receiveBuffer");
      f.setAccessible(true);
      Object buffer = f.get(in);
      java.lang.reflect.Method readOffset = buffer.getClass().getMethod("readOffset");
      java.lang.reflect.Method available = buffer.getClass().getMethod("bytesAvailable");
      readOffset.setAccessible(true);
      available.setAccessible(true);
      return (long) readOffset.invoke(buffer) + (long) available.invoke(buffer);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("Kwik's receive buffer is not readable", e);
    }
  }

  /** Lets a {@link #holding()} peer's application read. */
  void startReading() {
    reading.countDown();
  }

  QuicClientConnection client() throws Exception {
    return client(Duration.ofSeconds(30));
  }

  QuicClientConnection client(Duration idleTimeout) throws Exception {
    return client(idleTimeout, port);
  }

  /** A client that reaches this server through {@code viaPort} (a relay). */
  QuicClientConnection client(Duration idleTimeout, int viaPort) throws Exception {
    // verified as Kwik verifies: the server's certificate is trusted, and its DNS name is the one
    // connected to (Kwik's own host name check knows no IP address entries)
    QuicClientConnection c =
        QuicClientConnection.newBuilder()
            .uri(URI.create("https://localhost:" + viaPort))
            .proxy("127.0.0.1")
            .applicationProtocol("graceful")
            .customTrustStore(trustStore())
            .maxIdleTimeout(idleTimeout)
            .logger(new tech.kwik.core.log.NullLogger())
            .build();
    c.connect();
    connected.get(10, TimeUnit.SECONDS); // the server's side exists and listens
    return c;
  }

  /**
   * @return a key store trusting exactly this server's certificate
   */
  KeyStore trustStore() throws Exception {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setCertificateEntry("server", cert.certificate());
    return ks;
  }

  /**
   * @return a trust manager trusting exactly this server's certificate
   */
  javax.net.ssl.X509TrustManager trustManager() throws Exception {
    javax.net.ssl.TrustManagerFactory f =
        javax.net.ssl.TrustManagerFactory.getInstance(
            javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
    f.init(trustStore());
    return (javax.net.ssl.X509TrustManager) f.getTrustManagers()[0];
  }

  ConnectionTerminatedEvent awaitEnd() throws Exception {
    return ended.get(20, TimeUnit.SECONDS);
  }

  @Override
  public void close() {
    reading.countDown(); // a holding peer's readers end with the connection, not wait for good
    server.close();
  }
}
