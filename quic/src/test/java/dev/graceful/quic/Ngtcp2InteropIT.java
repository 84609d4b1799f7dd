package dev.graceful.quic;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graceful.core.DrainStatus;
import dev.graceful.core.Initiator;
import dev.graceful.core.LoopGroup;
import dev.graceful.core.Outcome;
import dev.graceful.core.ShutdownException;
import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.core.ShutdownState;
import dev.graceful.testkit.Ngtcp2;
import dev.graceful.testkit.PeerProcess;
import dev.graceful.testkit.TestCerts;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.Exceptions;
import reactor.core.publisher.Mono;
import tech.kwik.core.server.ApplicationProtocolConnection;
import tech.kwik.core.server.ServerConnectionConfig;
import tech.kwik.core.server.ServerConnector;

/**
 * Q1–Q8 against an independent QUIC stack: ngtcp2's example HTTP/3 server and client. graceful
 * speaks just enough HTTP/3 to be a proper peer; ngtcp2's frame log is the witness of what arrived.
 */
class Ngtcp2InteropIT {
  static final Duration WAIT = Duration.ofSeconds(30);
  static final int SIZE = 2_000_000;
  static LoopGroup loops;
  static TestCerts certs;

  @TempDir Path dir;

  @BeforeAll
  static void setUp() {
    loops = LoopGroup.create(1);
    certs = TestCerts.create();
  }

  @AfterAll
  static void stop() {
    loops.shutdown().block(WAIT);
  }

  static int freeUdpPort() throws Exception {
    try (DatagramSocket s = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  // ---- graceful (Kwik client) against gtlsserver ----

  /** A graceful client on an h3 connection to gtlsserver, its control stream open. */
  private QuicConnection client(int port) throws Exception {
    // verified (S1): gtlsserver's certificate is trusted and names 127.0.0.1
    QuicClient client =
        QuicClient.to(new java.net.InetSocketAddress("127.0.0.1", port), "h3")
            .trustManager(trusting(certs))
            .kwik(
                b ->
                    b.maxIdleTimeout(Duration.ofSeconds(30))
                        .connectTimeout(Duration.ofSeconds(3))
                        .logger(new tech.kwik.core.log.NullLogger()));
    QuicConnection c = null;
    // gtlsserver prints its ready line before it binds: a first Initial can meet a closed port
    // (and Kwik then waits out its connect timeout), so a connect is tried up to three times.
    for (int attempt = 1; c == null; attempt++) {
      try {
        c = client.connect(loops).block(WAIT);
      } catch (RuntimeException e) {
        if (!(reactor.core.Exceptions.unwrap(e) instanceof java.net.ConnectException)
            || attempt == 3) {
          throw e;
        }
      }
    }
    c.openUnidirectionalStream()
        .flatMap(s -> s.write(ByteBuffer.wrap(Ngtcp2.controlStream())))
        .block(WAIT);
    return c;
  }

  /** Opens a request stream, writes a POST head, then starts writing the body without waiting. */
  private static CompletableFuture<Void> startPost(QuicConnection c, int port, int body) {
    QuicStreamHandle s = c.openStream().block(WAIT);
    s.write(ByteBuffer.wrap(Ngtcp2.postHead("127.0.0.1:" + port, body))).block(WAIT);
    return s.write(ByteBuffer.allocate(body)).toFuture();
  }

  private PeerProcess server(int port, String... extra) throws Exception {
    return Ngtcp2.server(port, certs, Files.createDirectories(dir.resolve("htdocs")), extra);
  }

  // Q12 for a connect: gtlsserver serves h3 only and refuses another application protocol with a
  // TLS alert; the connect fails with ngtcp2's close: CRYPTO_ERROR (no_application_protocol,
  // 0x100 + 120), a transport close, the peer's.
  @Tag("Q12")
  @Test
  void handshakeRefusedByNgtcp2FailsWithItsClose() throws Exception {
    int port = freeUdpPort();
    try (PeerProcess server = server(port)) {
      QuicClient client =
          QuicClient.to(new java.net.InetSocketAddress("127.0.0.1", port), "graceful")
              .trustManager(trusting(certs))
              .kwik(
                  b ->
                      b.connectTimeout(Duration.ofSeconds(3))
                          .logger(new tech.kwik.core.log.NullLogger()));
      Throwable e = null;
      // as in client(..): a first Initial can meet a port not bound yet (a connect timeout)
      for (int attempt = 1; attempt <= 3; attempt++) {
        try {
          client.connect(loops).block(WAIT);
          throw new AssertionError("gtlsserver accepted ALPN graceful");
        } catch (RuntimeException failed) {
          e = Exceptions.unwrap(failed);
          if (!(e instanceof java.net.ConnectException)) {
            break;
          }
        }
      }
      assertThat(e)
          .as("gtlsserver's last lines:%n%s", server.tail())
          .isInstanceOf(QuicHandshakeException.class);
      dev.graceful.core.CloseInfo close = ((QuicHandshakeException) e).closeInfo();
      assertThat(close.errorCode()).isEqualTo(0x100 + 120);
      assertThat(close.transport()).isTrue();
      assertThat(close.local()).isFalse();
    }
  }

  // Q5, Q1: the default drain delivers a 2 MB request body written just before the shutdown, then
  // the CONNECTION_CLOSE carries the code and reason: ngtcp2 logged every byte before the close.
  @Tag("Q1")
  @Tag("Q5")
  @Test
  void drainDeliversTwoMegabytesToNgtcp2() throws Exception {
    int port = freeUdpPort();
    try (PeerProcess server = server(port)) {
      QuicConnection c = client(port);
      CompletableFuture<Void> body = startPost(c, port, SIZE);
      ShutdownResult r =
          c.shutdown(
                  ShutdownSpec.bidirectional()
                      .with(QuicShutdown.defaults().closeWith(0x100, "done"))
                      .timeout(Duration.ofSeconds(20)))
              .block(WAIT);
      assertThat(body).isCompleted();
      assertThat(r.drained()).isEqualTo(DrainStatus.DRAINED);
      assertThat(r.outcome()).isEqualTo(Outcome.COMPLETE);
      server.awaitLine("CONNECTION_CLOSE", WAIT);
      assertThat(Ngtcp2.receivedClose(server)).hasValue(new Ngtcp2.Close(0x100, 4, "done"));
      int head = Ngtcp2.postHead("127.0.0.1:" + port, SIZE).length;
      assertThat(Ngtcp2.contiguousBeforeClose(server, 0)).isEqualTo(head + SIZE);
    }
  }

  // Q5 skipped: noStreamFlush closes at once, says NOT_DRAINED, and ngtcp2 got less than the body.
  @Tag("Q5")
  @Test
  void noStreamFlushClosesBeforeTheBodyArrives() throws Exception {
    int port = freeUdpPort();
    try (PeerProcess server = server(port)) {
      QuicConnection c = client(port);
      startPost(c, port, SIZE);
      ShutdownResult r =
          c.shutdown(
                  ShutdownSpec.bidirectional()
                      .noStreamFlush()
                      .with(QuicShutdown.defaults().closeWith(0x100, "")))
              .block(WAIT);
      assertThat(r.drained()).isEqualTo(DrainStatus.NOT_DRAINED);
      assertThat(r.bytesDrained()).isZero();
      server.awaitLine("CONNECTION_CLOSE", WAIT);
      assertThat(Ngtcp2.contiguousBeforeClose(server, 0)).isLessThan(SIZE);
    }
  }

  // Q7: rapid is SENT after its one packet, which ngtcp2 receives; a later RFC shutdown completes.
  // Q2, Q4: an out-of-range code first is refused with nothing sent, so ngtcp2's only close is the
  // rapid one's.
  @Tag("Q2")
  @Tag("Q4")
  @Tag("Q7")
  @Test
  void rapidIsSentAndRefusedCodesSendNothing() throws Exception {
    int port = freeUdpPort();
    try (PeerProcess server = server(port)) {
      QuicConnection c = client(port);
      ShutdownException refused =
          error(
              c.shutdown(
                  ShutdownSpec.bidirectional()
                      .rapid()
                      .with(QuicShutdown.defaults().closeWith(-1, "x"))));
      assertThat(refused.reason()).isEqualTo(ShutdownException.Reason.INVALID_ARGUMENT);
      assertThat(c.shutdownState()).isEqualTo(ShutdownState.NONE);
      ShutdownResult rapid =
          c.shutdown(
                  ShutdownSpec.bidirectional()
                      .rapid()
                      .with(QuicShutdown.defaults().closeWith(0x10c, "rapid")))
              .block(WAIT);
      assertThat(rapid.outcome()).isEqualTo(Outcome.SENT);
      assertThat(rapid.state()).isEqualTo(ShutdownState.SENT);
      ShutdownResult rfc =
          c.shutdown(
                  ShutdownSpec.bidirectional()
                      .rfc()
                      .with(QuicShutdown.defaults().closeWith(7, "ignored")))
              .block(WAIT);
      assertThat(rfc.outcome()).isEqualTo(Outcome.COMPLETE);
      server.awaitLine("CONNECTION_CLOSE", WAIT);
      assertThat(Ngtcp2.receivedClose(server)).hasValue(new Ngtcp2.Close(0x10c, 5, "rapid"));
    }
  }

  // Q3: a 10 kB reason of 2- and 4-byte characters is cut at a code-point boundary: 170 whole
  // "é😀" pairs and one "é" are 1,022 bytes (a byte-count cut would give 1,024).
  @Tag("Q3")
  @Test
  void longMultiByteReasonArrivesCutAtACodePoint() throws Exception {
    int port = freeUdpPort();
    try (PeerProcess server = server(port)) {
      QuicConnection c = client(port);
      c.shutdown(
              ShutdownSpec.bidirectional()
                  .with(QuicShutdown.defaults().closeWith(1, "é😀".repeat(1700))))
          .block(WAIT);
      server.awaitLine("CONNECTION_CLOSE", WAIT);
      assertThat(Ngtcp2.receivedClose(server))
          .get()
          .extracting(Ngtcp2.Close::code, Ngtcp2.Close::reasonLength)
          .containsExactly(1L, 1022);
    }
  }

  // Q8: wait-peer completes when ngtcp2 closes with its own code: a DATA frame before HEADERS on
  // a request stream is H3_FRAME_UNEXPECTED (0x105), a connection error for the server.
  @Tag("Q8")
  @Tag("Q12")
  @Test
  void waitPeerSeesNgtcp2sErrorCode() throws Exception {
    int port = freeUdpPort();
    try (PeerProcess server = server(port)) {
      QuicConnection c = client(port);
      assertThat(
              c.shutdown(
                      ShutdownSpec.bidirectional()
                          .waitPeer()
                          .with(QuicShutdown.defaults().noBlock()))
                  .blockOptional(WAIT))
          .isEmpty();
      CompletableFuture<ShutdownResult> waiting =
          c.shutdown(ShutdownSpec.bidirectional().waitPeer()).toFuture();
      c.openStream()
          .flatMap(s -> s.write(ByteBuffer.wrap(new byte[] {0x00, 0x01, 0x00})))
          .block(WAIT);
      ShutdownResult r = withPeerLog(waiting, server);
      assertThat(r.outcome()).isEqualTo(Outcome.COMPLETE);
      assertThat(r.initiator()).isEqualTo(Initiator.PEER);
      assertThat(r.state().received()).isTrue();
      assertThat(r.peerErrorCode()).hasValue(0x105);
      // Q12: ngtcp2's HTTP/3 close (H3_GENERAL_PROTOCOL_ERROR) as the peer's application close
      assertThat(r.closeInfo())
          .hasValueSatisfying(
              i -> {
                assertThat(i.errorCode()).isEqualTo(0x105);
                assertThat(i.transport()).isFalse();
                assertThat(i.local()).isFalse();
              });
      assertThat(server.awaitLine("CONNECTION_CLOSE", WAIT)).contains("frm tx").contains("(0x105)");
    }
  }

  // Q8: termination for another reason ends a wait-peer too: ngtcp2's 1 s idle timeout closes
  // silently, and the connection ends by idle timeout.
  @Tag("Q8")
  @Tag("Q12")
  @Test
  void waitPeerEndsOnIdleTimeout() throws Exception {
    int port = freeUdpPort();
    try (PeerProcess server = server(port, "--timeout=1s")) {
      QuicConnection c = client(port);
      ShutdownResult r = c.shutdown(ShutdownSpec.bidirectional().waitPeer()).block(WAIT);
      assertThat(r.outcome()).isEqualTo(Outcome.COMPLETE);
      assertThat(r.initiator()).isEqualTo(Initiator.PEER);
      assertThat(r.state()).isEqualTo(ShutdownState.RECEIVED);
      assertThat(r.peerErrorCode()).isEmpty();
      // Q12: no CONNECTION_CLOSE from anyone: our idle timer ended it, a transport ending, code 0
      assertThat(r.closeInfo())
          .hasValueSatisfying(
              i -> {
                assertThat(i.errorCode()).isZero();
                assertThat(i.transport()).isTrue();
                assertThat(i.local()).isTrue();
                assertThat(i.reason()).contains("idle timeout");
              });
      server.awaitLine("Timer expired", WAIT);
      assertThat(Ngtcp2.receivedClose(server)).isEmpty();
    }
  }

  /**
   * @return a trust manager trusting exactly {@code certs}' certificate
   */
  static javax.net.ssl.X509TrustManager trusting(TestCerts certs) throws Exception {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setCertificateEntry("server", certs.cert().certificate());
    javax.net.ssl.TrustManagerFactory f =
        javax.net.ssl.TrustManagerFactory.getInstance(
            javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
    f.init(ks);
    return (javax.net.ssl.X509TrustManager) f.getTrustManagers()[0];
  }

  // ---- gtlsclient against a graceful server (Kwik's ServerConnector) ----

  /**
   * A Kwik h3 server whose request handler gets each request stream with its graceful connection.
   */
  private static ServerConnector h3Server(
      int port, BiFunction<QuicConnection, tech.kwik.core.QuicStream, Mono<?>> handler)
      throws Exception {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setKeyEntry(
        "s",
        certs.cert().keys().getPrivate(),
        "p".toCharArray(),
        new X509Certificate[] {certs.cert().certificate()});
    ServerConnector server =
        ServerConnector.builder()
            .withPort(port)
            .withKeyStore(ks, "s", "p".toCharArray())
            .withConfiguration(
                ServerConnectionConfig.builder()
                    .maxIdleTimeoutInSeconds(30)
                    .maxOpenPeerInitiatedBidirectionalStreams(10)
                    .maxOpenPeerInitiatedUnidirectionalStreams(10)
                    .build())
            .withLogger(new tech.kwik.core.log.NullLogger())
            .build();
    server.registerApplicationProtocol(
        "h3",
        (protocol, kwik) -> {
          QuicConnection c = QuicConnection.of(kwik, loops, "server<-gtlsclient");
          return new ApplicationProtocolConnection() {
            @Override
            public void acceptPeerInitiatedStream(tech.kwik.core.QuicStream stream) {
              if (stream.isBidirectional()) {
                handler.apply(c, stream).subscribe();
              }
            }
          };
        });
    server.start();
    return server;
  }

  /** Reads the request (GET, ended by FIN) and writes a response head; the body follows. */
  private static Mono<QuicStreamHandle> respond(
      QuicConnection c, tech.kwik.core.QuicStream stream, int body) {
    return c.adopt(stream)
        .flatMap(
            h ->
                h.readAll()
                    .then(h.write(ByteBuffer.wrap(Ngtcp2.responseHead(body))))
                    .thenReturn(h));
  }

  // Q5 server side: a 2 MB response written just before the server's shutdown arrives whole in
  // gtlsclient's downloaded file; Q1: then ngtcp2 logs the server's code and reason.
  @Tag("Q1")
  @Tag("Q5")
  @Test
  void serverDrainDeliversTwoMegabytesToGtlsclient() throws Exception {
    int port = freeUdpPort();
    CompletableFuture<ShutdownResult> result = new CompletableFuture<>();
    ServerConnector server =
        h3Server(
            port,
            (c, stream) ->
                respond(c, stream, SIZE)
                    .flatMap(
                        h -> {
                          h.write(ByteBuffer.allocate(SIZE)).subscribe();
                          return c.shutdown(
                              ShutdownSpec.bidirectional()
                                  .with(QuicShutdown.defaults().closeWith(0x100, "bye"))
                                  .timeout(Duration.ofSeconds(20)));
                        })
                    .doOnNext(result::complete)
                    .doOnError(result::completeExceptionally));
    Path download = Files.createDirectories(dir.resolve("download"));
    try (PeerProcess client = Ngtcp2.client(port, "/big", download)) {
      ShutdownResult r = result.get(30, TimeUnit.SECONDS);
      assertThat(r.drained()).isEqualTo(DrainStatus.DRAINED);
      client.awaitExit(WAIT);
      assertThat(Files.size(download.resolve("big"))).isEqualTo(SIZE);
      assertThat(Ngtcp2.receivedClose(client)).hasValue(new Ngtcp2.Close(0x100, 3, "bye"));
    } finally {
      server.close();
    }
  }

  // Q8 server side: after a complete response gtlsclient closes with H3_NO_ERROR (0x100); the
  // server's wait-peer reports that code with initiator PEER.
  @Tag("Q8")
  @Test
  void serverWaitPeerSeesGtlsclientsClose() throws Exception {
    int port = freeUdpPort();
    CompletableFuture<ShutdownResult> result = new CompletableFuture<>();
    ServerConnector server =
        h3Server(
            port,
            (c, stream) ->
                respond(c, stream, 1000)
                    .flatMap(h -> h.write(ByteBuffer.allocate(1000)).then(h.conclude()))
                    .then(c.shutdown(ShutdownSpec.bidirectional().waitPeer()))
                    .doOnNext(result::complete)
                    .doOnError(result::completeExceptionally));
    Path download = Files.createDirectories(dir.resolve("download"));
    try (PeerProcess client =
        Ngtcp2.client(port, "/small", download, "--exit-on-all-streams-close")) {
      ShutdownResult r = withPeerLog(result, client);
      assertThat(r.initiator()).isEqualTo(Initiator.PEER);
      assertThat(r.peerErrorCode()).hasValue(0x100);
      assertThat(r.outcome()).isEqualTo(Outcome.COMPLETE);
      assertThat(client.awaitExit(WAIT)).isZero();
      assertThat(Files.size(download.resolve("small"))).isEqualTo(1000);
    } finally {
      server.close();
    }
  }

  /** The result, or a failure that shows what the ngtcp2 peer logged last. */
  static ShutdownResult withPeerLog(CompletableFuture<ShutdownResult> f, PeerProcess peer)
      throws Exception {
    try {
      return f.get(30, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new AssertionError("no result (" + e + "); the peer's last lines:\n" + peer.tail(), e);
    }
  }

  static ShutdownException error(Mono<?> m) {
    try {
      m.block(WAIT);
      throw new AssertionError("expected an error");
    } catch (RuntimeException e) {
      return (ShutdownException) Exceptions.unwrap(e);
    }
  }
}
