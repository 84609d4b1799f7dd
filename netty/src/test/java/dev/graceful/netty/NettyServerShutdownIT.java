package dev.graceful.netty;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graceful.core.Initiator;
import dev.graceful.core.LoopGroup;
import dev.graceful.core.Outcome;
import dev.graceful.core.ServerShutdown;
import dev.graceful.core.ShutdownReport;
import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.testkit.TestCerts;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslProvider;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.HttpProtocol;
import reactor.netty.http.server.HttpServer;

/**
 * G1–G5 on a real reactor-netty HTTPS server, with graceful's own TLS clients (and the JDK's TLS on
 * both sides): every response arrives whole, then a close_notify, and the report matches what the
 * clients saw.
 */
class NettyServerShutdownIT {
  static final Duration WAIT = Duration.ofSeconds(60);
  static final int SLOW_BODY = 64 * 1024;
  static TestCerts certs;
  static LoopGroup clientLoops;

  /** The event loop of the HTTP/2 clients (Netty's own). */
  static EventLoopGroup h2Loops;

  @BeforeAll
  static void setUp() {
    certs = TestCerts.create();
    clientLoops = LoopGroup.create(2);
    h2Loops = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  }

  @AfterAll
  static void tearDown() throws Exception {
    clientLoops.shutdown().block(WAIT);
    h2Loops.shutdownGracefully(0, 5, TimeUnit.SECONDS).get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  /**
   * @return the errors among {@code report}'s entries, to name them when an assertion fails
   */
  static List<String> errorsIn(ShutdownReport report) {
    return report.entries().stream()
        .filter(e -> e.error().isPresent())
        .map(e -> e.error().get().toString())
        .toList();
  }

  /**
   * @return the SSLEngine under Netty's SslHandler: the JDK's here, BoringSSL in the subclass
   */
  SslProvider provider() {
    return SslProvider.JDK;
  }

  SslContext nettyContext() throws Exception {
    return NettyEngines.serverContext(provider(), certs);
  }

  /** GET / answers at once; GET /slow answers 64 KiB after 500 ms (an exchange in flight). */
  DisposableServer start(GracefulServer graceful) throws Exception {
    return start(graceful, new java.util.concurrent.atomic.AtomicInteger());
  }

  DisposableServer start(
      GracefulServer graceful, java.util.concurrent.atomic.AtomicInteger slowStarted)
      throws Exception {
    return start(graceful, slowStarted, UnaryOperator.identity());
  }

  DisposableServer start(
      GracefulServer graceful,
      java.util.concurrent.atomic.AtomicInteger slowStarted,
      UnaryOperator<HttpServer> more)
      throws Exception {
    SslContext ctx = nettyContext();
    return graceful
        .install(
            more.apply(
                HttpServer.create().host("127.0.0.1").port(0).secure(spec -> spec.sslContext(ctx))))
        .handle(
            graceful.http(
                (req, res) ->
                    req.uri().startsWith("/slow") && slowStarted.incrementAndGet() > 0
                        ? res.header("content-length", Integer.toString(SLOW_BODY))
                            // (the body is allocated where the delay ends: not on a parallel
                            // thread,
                            // where BlockHound rightly flags Netty's allocator taking a lock)
                            .sendString(
                                Mono.delay(
                                        Duration.ofMillis(500),
                                        reactor.core.scheduler.Schedulers.boundedElastic())
                                    .map(x -> "x".repeat(SLOW_BODY)))
                        : res.header("content-length", "2").sendString(Mono.just("ok"))))
        .bindNow(Duration.ofSeconds(10));
  }

  /**
   * @return {@code n} cooperative keep-alive clients of {@code server} (they read until its
   *     close_notify and answer it), TLS 1.3 and TLS 1.2 by turns, 32 handshakes at a time
   */
  static List<HttpsClient> cooperativeClients(DisposableServer server, int n) {
    InetSocketAddress at = address(server);
    return Flux.range(0, n)
        .flatMap(
            i ->
                HttpsClient.connect(
                    at, certs.client(), clientLoops, i % 2 == 0 ? "TLSv1.3" : "TLSv1.2"),
            32)
        .map(HttpsClient::readUntilServerCloses)
        .collectList()
        .block(WAIT);
  }

  static InetSocketAddress address(DisposableServer s) {
    return new InetSocketAddress("127.0.0.1", s.port());
  }

  // G1–G5, G6 (a reactor-netty HTTP server over TLS): 1,000 open keep-alive connections (TLS 1.3
  // and 1.2), 100 of them with a slow request in
  // flight when the shutdown starts. Every client receives every response whole and then a
  // close_notify, answers it, and the report counts 1,000 COMPLETE with no straggler.
  @Tag("G2")
  @Tag("G3")
  @Tag("G5")
  @Tag("G6")
  @Test
  void thousandKeepAliveConnectionsEndGracefully() throws Exception {
    GracefulServer graceful = GracefulServer.create();
    java.util.concurrent.atomic.AtomicInteger slowStarted =
        new java.util.concurrent.atomic.AtomicInteger();
    DisposableServer server = start(graceful, slowStarted);
    try {
      List<HttpsClient> clients = cooperativeClients(server, 1000);
      Flux.fromIterable(clients).flatMap(c -> c.get("/"), 64).blockLast(WAIT);
      for (HttpsClient c : clients) {
        c.awaitResponses(1, WAIT);
      }
      assertThat(graceful.openConnections()).hasSize(1000);
      List<HttpsClient> slow = clients.subList(0, 100);
      Flux.fromIterable(slow).flatMap(c -> c.get("/slow")).blockLast(WAIT);
      // in flight: the server is handling every slow request (each answers 500 ms after it began)
      awaitSlowRequests(slowStarted, 100);

      ShutdownReport report = shutDownWithGrace(graceful, server, Duration.ofSeconds(15));

      for (HttpsClient c : clients) {
        assertClosedAndAnswered(c);
      }
      assertThat(slow)
          .allSatisfy(
              c -> assertThat(c.responses()).as("the slow response arrived whole").isEqualTo(2));
      assertThat(clients.subList(100, 1000))
          .allSatisfy(c -> assertThat(c.responses()).isEqualTo(1));
      assertThat(report.connections()).isEqualTo(1000);
      assertThat(report.outcomes())
          .as(() -> "errors: " + errorsIn(report))
          .isEqualTo(Map.of(Outcome.COMPLETE, 1000));
      assertThat(report.stragglers()).isEmpty();
      assertThat(report.latency(50)).isLessThan(Duration.ofSeconds(5));
      assertThat(graceful.openConnections()).isEmpty();
      System.err.printf(
          "1000 connections: shutdown in %d ms, p50 %d ms, p99 %d ms%n",
          report.elapsed().toMillis(),
          report.latency(50).toMillis(),
          report.latency(99).toMillis());
    } finally {
      server.disposeNow(Duration.ofSeconds(5));
    }
  }

  /** A bidirectional server shutdown with 5 s of grace for the exchanges in flight. */
  static ShutdownReport shutDownWithGrace(
      GracefulServer graceful, DisposableServer server, Duration deadline) {
    return graceful
        .shutdown(
            server,
            ServerShutdown.of(ShutdownSpec.bidirectional())
                .grace(Duration.ofSeconds(5))
                .deadline(deadline))
        .block(WAIT);
  }

  /**
   * {@code c} got the server's close_notify (not a truncation) and answered it: COMPLETE, peer
   * first.
   */
  static void assertClosedAndAnswered(HttpsClient c) throws Exception {
    c.ended().get(30, TimeUnit.SECONDS);
    ShutdownResult answer = c.answered.get(30, TimeUnit.SECONDS);
    assertThat(answer.outcome()).isEqualTo(Outcome.COMPLETE);
    assertThat(answer.initiator()).isEqualTo(Initiator.PEER);
  }

  // G5: the report arrives only once every channel it counts is closed. Netty closes a channel
  // asynchronously (the SslHandler flushes first); here a handler at the head of the pipeline holds
  // every close back 300 ms, and still no connection is open when the report arrives.
  @Tag("G5")
  @Test
  void reportArrivesOnlyOnceEveryChannelIsClosed() throws Exception {
    GracefulServer graceful = GracefulServer.create();
    DisposableServer server =
        start(
            graceful,
            new java.util.concurrent.atomic.AtomicInteger(),
            s ->
                s.doOnChannelInit(
                    (observer, channel, remote) ->
                        channel.pipeline().addFirst("held-close", new HeldClose())));
    try {
      List<HttpsClient> clients = cooperativeClients(server, 4);
      Flux.fromIterable(clients).flatMap(c -> c.get("/")).blockLast(WAIT);
      for (HttpsClient c : clients) {
        c.awaitResponses(1, WAIT);
      }
      awaitOpen(graceful, 4);
      ShutdownReport report =
          graceful
              .shutdown(
                  server,
                  ServerShutdown.of(ShutdownSpec.bidirectional()).deadline(Duration.ofSeconds(10)))
              .block(WAIT);
      assertThat(graceful.openConnections()).isEmpty();
      assertThat(report.outcomes()).isEqualTo(Map.of(Outcome.COMPLETE, 4));
      assertThat(report.elapsed()).isGreaterThanOrEqualTo(HeldClose.HOLD);
    } finally {
      server.disposeNow(Duration.ofSeconds(5));
    }
  }

  // G2 over HTTP/2 for a client that goes away itself: it sent its own GOAWAY with a slow
  // request in flight, then the server shuts down. graceful still sends its two GOAWAYs and waits
  // for the stream; the response arrives whole, then the close_notify, which the client answers,
  // and the report counts one COMPLETE.
  @Tag("G2")
  @Test
  void http2ClientThatSentItsOwnGoawayStillGetsItsResponseThenTheCloseNotify() throws Exception {
    SlowHttp2 h = slowHttp2Request();
    try {
      H2Client c = h.client();
      c.goAway();

      ShutdownReport report = shutDownWithGrace(h.graceful(), h.server(), Duration.ofSeconds(15));

      c.ended().get(30, TimeUnit.SECONDS);
      List<String> events = c.events();
      assertThat(events).contains("response on stream 3: " + SLOW_BODY + " bytes");
      assertThat(events.subList(events.size() - 2, events.size()))
          .containsExactly("close_notify", "end");
      assertThat(report.outcomes())
          .as(() -> "errors: " + errorsIn(report))
          .isEqualTo(Map.of(Outcome.COMPLETE, 1));
    } finally {
      h.server().disposeNow(Duration.ofSeconds(5));
    }
  }

  // G1, G2, G6 over HTTP/2: when the shutdown starts, a client with a slow request in flight on an
  // HTTP/2 connection gets a GOAWAY (NO_ERROR, naming its last stream, so it opens no new one),
  // then its response whole, then the close_notify, which it answers; the report counts one
  // COMPLETE. The peer is Netty's own HTTP/2 client codec.
  @Tag("G1")
  @Tag("G2")
  @Tag("G6")
  @Test
  void http2ClientGetsGoawayThenItsResponseThenTheCloseNotify() throws Exception {
    SlowHttp2 h = slowHttp2Request("/");
    try {
      H2Client c = h.client();

      ShutdownReport report = shutDownWithGrace(h.graceful(), h.server(), Duration.ofSeconds(15));

      c.ended().get(30, TimeUnit.SECONDS);
      // (Netty's client codec numbers its streams 3, 5, …: 1 is kept for an h2c upgrade). The
      // GOAWAYs go out at once and the slow response 500 ms after its request, but only their
      // order against the close_notify is the contract.
      List<String> events = c.events();
      assertThat(events)
          .containsExactlyInAnyOrder(
              "response on stream 3: 2 bytes",
              "GOAWAY 0 last stream " + Integer.MAX_VALUE,
              "GOAWAY 0 last stream 5",
              "response on stream 5: " + SLOW_BODY + " bytes",
              "close_notify",
              "end");
      assertThat(events.indexOf("GOAWAY 0 last stream " + Integer.MAX_VALUE))
          .isLessThan(events.indexOf("GOAWAY 0 last stream 5"));
      assertThat(events.subList(4, 6)).containsExactly("close_notify", "end");
      assertThat(report.outcomes()).isEqualTo(Map.of(Outcome.COMPLETE, 1));
      assertThat(h.graceful().openConnections()).isEmpty();
    } finally {
      h.server().disposeNow(Duration.ofSeconds(5));
    }
  }

  // G1 over HTTP/2, RFC 9113 §6.8: a stream the client opens the moment the first GOAWAY (the
  // largest stream id) arrives, as one already on its way would be, is still taken and answered;
  // the final GOAWAY, sent once a PING proved a round trip, names it as the last stream.
  @Tag("G1")
  @Test
  void http2StreamOpenedAsTheFirstGoawayArrivesIsStillServed() throws Exception {
    SlowHttp2 h = slowHttp2Request();
    try {
      H2Client c = h.client();
      c.getOnFirstGoAway("/");

      ShutdownReport report = shutDownWithGrace(h.graceful(), h.server(), Duration.ofSeconds(15));

      c.ended().get(30, TimeUnit.SECONDS);
      List<String> events = c.events();
      assertThat(events)
          .containsExactlyInAnyOrder(
              "GOAWAY 0 last stream " + Integer.MAX_VALUE,
              "GOAWAY 0 last stream 5",
              "response on stream 3: " + SLOW_BODY + " bytes",
              "response on stream 5: 2 bytes",
              "close_notify",
              "end");
      assertThat(events.get(0)).isEqualTo("GOAWAY 0 last stream " + Integer.MAX_VALUE);
      assertThat(events.subList(4, 6)).containsExactly("close_notify", "end");
      assertThat(report.outcomes()).isEqualTo(Map.of(Outcome.COMPLETE, 1));
    } finally {
      h.server().disposeNow(Duration.ofSeconds(5));
    }
  }

  // G4 over HTTP/2: a client that reads nothing after its request, with that stream still in
  // flight at the deadline, is forced (close_notify sent, SENT) and named. The report, which waits
  // for each channel to close (through Netty's HTTP/2 handler, which closes gracefully itself),
  // still comes at once.
  @Tag("G4")
  @Test
  void http2StreamInFlightAtTheDeadlineIsForced() throws Exception {
    GracefulServer graceful = GracefulServer.create();
    java.util.concurrent.atomic.AtomicInteger slowStarted =
        new java.util.concurrent.atomic.AtomicInteger();
    DisposableServer server = startHttp2(graceful, slowStarted);
    try {
      H2Client c = H2Client.connect(address(server), certs, h2Loops, false);
      c.get("/slow");
      awaitSlowRequests(slowStarted, 1);

      ShutdownReport report =
          graceful
              .shutdown(
                  server,
                  ServerShutdown.of(ShutdownSpec.bidirectional())
                      .grace(Duration.ofMillis(50))
                      .deadline(Duration.ofMillis(100)))
              .block(WAIT);

      assertThat(report.outcomes()).isEqualTo(Map.of(Outcome.SENT, 1));
      assertThat(report.stragglers()).hasSize(1);
      assertThat(report.elapsed()).isLessThan(Duration.ofSeconds(3));
      assertThat(graceful.openConnections()).isEmpty();
      assertThat(c.events()).isEmpty(); // it read nothing: no response, GOAWAY or close_notify
      c.close();
    } finally {
      server.disposeNow(Duration.ofSeconds(5));
    }
  }

  // G1, G2 for a WebSocket (RFC 6455 §7.1.2, a server going away): its handler's publisher ends
  // with the upgrade, so no exchange is in flight. When the shutdown starts, the client (reactor-
  // netty's) gets a close frame (1001) and answers it. reactor-netty's server closes the channel as
  // soon as its close frame is written; that close is held until graceful's close_notify exchange
  // has run (without the hold, Netty's own close sent a close_notify and closed at once, and the
  // report said TRUNCATED). The report counts one COMPLETE with the client's close_notify received,
  // well within the grace period: the close handshake ended it, not the grace.
  @Tag("G1")
  @Tag("G2")
  @Test
  void webSocketGetsACloseFrameThenTheCloseNotify() throws Exception {
    GracefulServer graceful = GracefulServer.create();
    DisposableServer server = startWebSocketEcho(graceful);
    try {
      List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
      webSocketClient(server)
          .handle(
              (in, out) -> {
                in.receiveCloseStatus()
                    .subscribe(st -> seen.add("close " + st.code() + " " + st.reasonText()));
                return out.sendString(Mono.just("hello"))
                    .then(in.receive().asString().doOnNext(seen::add).then());
              })
          .subscribe(null, e -> seen.add("client error " + e));
      awaitUntil(() -> !seen.isEmpty());
      awaitOpen(graceful, 1);

      Duration grace = Duration.ofSeconds(5);
      ShutdownReport report =
          graceful
              .shutdown(
                  server,
                  ServerShutdown.of(ShutdownSpec.bidirectional())
                      .grace(grace)
                      .deadline(Duration.ofSeconds(10)))
              .block(WAIT);

      assertThat(seen).containsExactly("echo hello", "close 1001 " + GracefulServer.GOING_AWAY);
      assertThat(report.outcomes())
          .as(() -> "errors: " + errorsIn(report))
          .isEqualTo(Map.of(Outcome.COMPLETE, 1));
      // the client's close_notify was received; ours went out too unless the client's TCP end (it
      // closes right after its close frame and close_notify) came first: then RECEIVED alone,
      // truthfully
      assertThat(report.entries().get(0).result().orElseThrow().state().received()).isTrue();
      assertThat(report.stragglers()).isEmpty();
      assertThat(report.elapsed()).isLessThan(grace);
      assertThat(graceful.openConnections()).isEmpty();
    } finally {
      server.disposeNow(Duration.ofSeconds(5));
    }
  }

  // G1, G2 for a WebSocket whose upgrade is still under way when the shutdown starts (answered
  // 300 ms after its request, the exchange in flight): the client still gets the close frame, and
  // the report counts one COMPLETE. (reactor-netty makes the channel's operations a WebSocket's as
  // soon as the handler calls sendWebsocket, before the handshake; the shutdown finds it so.)
  @Tag("G1")
  @Tag("G2")
  @Test
  void webSocketUpgradedDuringTheShutdownStillGetsACloseFrame() throws Exception {
    GracefulServer graceful = GracefulServer.create();
    java.util.concurrent.atomic.AtomicInteger requests =
        new java.util.concurrent.atomic.AtomicInteger();
    DisposableServer server = startWebSocketEcho(graceful, Duration.ofMillis(300), requests);
    try {
      List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
      webSocketClient(server)
          .handle(
              (in, out) -> {
                in.receiveCloseStatus()
                    .subscribe(st -> seen.add("close " + st.code() + " " + st.reasonText()));
                return in.receive().asString().doOnNext(seen::add).then();
              })
          .subscribe(null, e -> seen.add("client error " + e));
      awaitSlowRequests(
          requests, 1); // the upgrade request is at the server, its answer 300 ms away

      ShutdownReport report =
          graceful
              .shutdown(
                  server,
                  ServerShutdown.of(ShutdownSpec.bidirectional())
                      .grace(Duration.ofSeconds(5))
                      .deadline(Duration.ofSeconds(10)))
              .block(WAIT);

      awaitUntil(() -> !seen.isEmpty());
      assertThat(seen).containsExactly("close 1001 " + GracefulServer.GOING_AWAY);
      assertThat(report.outcomes())
          .as(() -> "errors: " + errorsIn(report))
          .isEqualTo(Map.of(Outcome.COMPLETE, 1));
    } finally {
      server.disposeNow(Duration.ofSeconds(5));
    }
  }

  // G2 for a WebSocket: a client may answer the close frame with its close_notify alone (graceful's
  // own TLS client here, with a hand-written upgrade). That ends the wait at once, not at the end
  // of
  // the grace period: the server answers, and both sides end COMPLETE.
  @Tag("G2")
  @Test
  void webSocketClientThatAnswersWithItsCloseNotifyAloneEndsAtOnce() throws Exception {
    ShutdownReport report = handWrittenWebSocketClient(true);
    assertThat(report.elapsed())
        .as("ended by the close_notify, not the grace period")
        .isLessThan(GRACE);
  }

  // G1 for a WebSocket just upgraded: its client has the 101 when the shutdown starts, and
  // reactor-netty's side of the channel may not be a WebSocket yet. graceful looks again until it
  // is, then sends the close frame. Without that, 8 of 40, 3 of 12, 4 of 12 and 13 of 40 such
  // shutdowns sent no close frame; 20 in a row here.
  @Tag("G1")
  @Test
  void webSocketJustUpgradedWhenTheShutdownStartsStillGetsACloseFrame() throws Exception {
    for (int i = 0; i < 20; i++) {
      handWrittenWebSocketClient(false);
    }
  }

  static final Duration GRACE = Duration.ofSeconds(5);

  /**
   * graceful's own TLS client upgrades to a WebSocket by hand (and with {@code echoFirst} has one
   * message echoed), the server shuts down, the client waits for the close frame and answers with
   * its close_notify alone.
   */
  ShutdownReport handWrittenWebSocketClient(boolean echoFirst) throws Exception {
    GracefulServer graceful = GracefulServer.create();
    DisposableServer server = startWebSocketEcho(graceful);
    try {
      dev.graceful.tls.TlsConnection tls =
          dev.graceful.tls.TlsConnection.connect(
                  address(server),
                  certs.client(),
                  clientLoops,
                  e -> e.setEnabledProtocols(new String[] {"TLSv1.3"}))
              .block(WAIT);
      CompletableFuture<Void> upgraded = new CompletableFuture<>();
      CompletableFuture<Void> echoed = new CompletableFuture<>();
      CompletableFuture<Void> closeFrame = new CompletableFuture<>();
      java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
      reactor.core.Disposable reading =
          tls.receive()
              .subscribe(
                  b -> {
                    synchronized (got) {
                      byte[] chunk = new byte[b.remaining()];
                      b.get(chunk);
                      got.writeBytes(chunk);
                      byte[] all = got.toByteArray();
                      int head =
                          new String(all, java.nio.charset.StandardCharsets.ISO_8859_1)
                              .indexOf("\r\n\r\n");
                      if (head >= 0) {
                        upgraded.complete(null);
                        // the server's frames: unmasked, short (a 7-bit length)
                        for (int at = head + 4;
                            at + 2 <= all.length && at + 2 + (all[at + 1] & 0x7f) <= all.length;
                            at += 2 + (all[at + 1] & 0x7f)) {
                          switch (all[at] & 0x0f) {
                            case 1 -> echoed.complete(null); // text
                            case 8 -> closeFrame.complete(null); // close
                            default -> {}
                          }
                        }
                      }
                    }
                  });
      String upgrade =
          "GET /ws HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
      tls.send(
              java.nio.ByteBuffer.wrap(
                  upgrade.getBytes(java.nio.charset.StandardCharsets.US_ASCII)))
          .block(WAIT);
      upgraded.get(10, TimeUnit.SECONDS);
      if (echoFirst) {
        // a text frame "hello" (masked, as a client's must be, with a zero mask), and its echo
        byte[] hello = {(byte) 0x81, (byte) 0x85, 0, 0, 0, 0, 'h', 'e', 'l', 'l', 'o'};
        tls.send(java.nio.ByteBuffer.wrap(hello)).block(WAIT);
        echoed.get(10, TimeUnit.SECONDS);
      }
      awaitOpen(graceful, 1);

      Mono<ShutdownReport> shutdown =
          graceful
              .shutdown(
                  server,
                  ServerShutdown.of(ShutdownSpec.bidirectional())
                      .grace(GRACE)
                      .deadline(Duration.ofSeconds(10)))
              .cache();
      shutdown.subscribe();
      closeFrame.get(5, TimeUnit.SECONDS);
      reading.dispose();
      ShutdownResult mine =
          tls.shutdown(ShutdownSpec.bidirectional().discardUnread().timeout(Duration.ofSeconds(10)))
              .block(WAIT);
      ShutdownReport report = shutdown.block(WAIT);

      assertThat(mine.outcome())
          .as("the server answered our close_notify")
          .isEqualTo(Outcome.COMPLETE);
      assertThat(report.outcomes())
          .as(() -> "errors: " + errorsIn(report))
          .isEqualTo(Map.of(Outcome.COMPLETE, 1));
      tls.release().block(WAIT);
      return report;
    } finally {
      server.disposeNow(Duration.ofSeconds(5));
    }
  }

  // G4 for a WebSocket: a client that stops reading after its first message never answers the
  // close frame. The grace ends, the deadline forces it (SENT) and names it, and reactor-netty's
  // held close does not keep the channel open past that: the report comes at once, nothing open.
  @Tag("G4")
  @Test
  void silentWebSocketIsForcedAtTheDeadline() throws Exception {
    GracefulServer graceful = GracefulServer.create();
    DisposableServer server = startWebSocketEcho(graceful);
    try {
      List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
      webSocketClient(server)
          .handle(
              (in, out) ->
                  out.sendString(Mono.just("hello"))
                      .then(
                          in.receive()
                              .asString()
                              .doOnNext(seen::add)
                              // deaf from here on: the close frame and the close_notify stay unread
                              .doOnNext(
                                  m ->
                                      in.withConnection(
                                          c -> c.channel().config().setAutoRead(false)))
                              .then()))
          .subscribe(null, e -> {});
      awaitUntil(() -> !seen.isEmpty());
      awaitOpen(graceful, 1);

      ShutdownReport report =
          graceful
              .shutdown(
                  server,
                  ServerShutdown.of(ShutdownSpec.bidirectional())
                      .grace(Duration.ofMillis(300))
                      .deadline(Duration.ofMillis(600)))
              .block(WAIT);

      assertThat(report.outcomes()).isEqualTo(Map.of(Outcome.SENT, 1));
      assertThat(report.stragglers()).hasSize(1);
      assertThat(report.elapsed()).isLessThan(Duration.ofSeconds(3));
      assertThat(graceful.openConnections()).isEmpty();
    } finally {
      server.disposeNow(Duration.ofSeconds(5));
    }
  }

  /**
   * An HTTP/2 server and a client of it with GET /slow in flight (answered 500 ms after it began).
   */
  record SlowHttp2(GracefulServer graceful, DisposableServer server, H2Client client) {}

  /**
   * @param answeredFirst paths the client gets, each answered, before GET /slow
   */
  SlowHttp2 slowHttp2Request(String... answeredFirst) throws Exception {
    GracefulServer graceful = GracefulServer.create();
    java.util.concurrent.atomic.AtomicInteger slowStarted =
        new java.util.concurrent.atomic.AtomicInteger();
    DisposableServer server = startHttp2(graceful, slowStarted);
    try {
      H2Client c = H2Client.connect(address(server), certs, h2Loops);
      for (int i = 0; i < answeredFirst.length; i++) {
        int seen = i + 1;
        c.get(answeredFirst[i]);
        awaitUntil(() -> c.events().size() >= seen);
      }
      c.get("/slow");
      awaitSlowRequests(slowStarted, 1);
      return new SlowHttp2(graceful, server, c);
    } catch (Exception | Error e) {
      server.disposeNow(Duration.ofSeconds(5));
      throw e;
    }
  }

  /** {@link #start} over HTTP/2 (ALPN offers h2, then http/1.1). */
  DisposableServer startHttp2(
      GracefulServer graceful, java.util.concurrent.atomic.AtomicInteger slowStarted)
      throws Exception {
    SslContext h2 = NettyEngines.serverContext(provider(), certs, "h2", "http/1.1");
    return start(
        graceful,
        slowStarted,
        s -> s.protocol(HttpProtocol.H2, HttpProtocol.HTTP11).secure(spec -> spec.sslContext(h2)));
  }

  /** Waits until the server is handling {@code n} slow (or upgrade) requests. */
  static void awaitSlowRequests(java.util.concurrent.atomic.AtomicInteger slowStarted, int n) {
    awaitUntil(() -> slowStarted.get() == n);
  }

  /** A server whose every request is a WebSocket that echoes each message back ("echo …"). */
  DisposableServer startWebSocketEcho(GracefulServer graceful) throws Exception {
    return startWebSocketEcho(
        graceful, Duration.ZERO, new java.util.concurrent.atomic.AtomicInteger());
  }

  /**
   * The same, with each upgrade answered {@code upgradeAfter} after its request, counted in {@code
   * requests}.
   */
  DisposableServer startWebSocketEcho(
      GracefulServer graceful,
      Duration upgradeAfter,
      java.util.concurrent.atomic.AtomicInteger requests)
      throws Exception {
    SslContext ctx = nettyContext();
    return graceful
        .install(HttpServer.create().host("127.0.0.1").port(0).secure(spec -> spec.sslContext(ctx)))
        .handle(
            graceful.http(
                (req, res) ->
                    Mono.delay(upgradeAfter)
                        .doOnSubscribe(s -> requests.incrementAndGet())
                        .then(
                            res.sendWebsocket(
                                (in, out) ->
                                    out.sendString(
                                        in.receive().asString().map(m -> "echo " + m))))))
        .bindNow(Duration.ofSeconds(10));
  }

  /** reactor-netty's WebSocket client of {@code server}, trusting the test certificate. */
  static reactor.netty.http.client.HttpClient.WebsocketSender webSocketClient(
      DisposableServer server) throws Exception {
    SslContext clientCtx =
        io.netty.handler.ssl.SslContextBuilder.forClient()
            .trustManager(certs.cert().certificate())
            .build();
    return reactor.netty.http.client.HttpClient.create()
        .secure(spec -> spec.sslContext(clientCtx))
        .websocket()
        .uri("wss://localhost:" + server.port() + "/ws");
  }

  /** Holds every close of the channel back {@link #HOLD}, as a slow flush would. */
  static final class HeldClose extends io.netty.channel.ChannelOutboundHandlerAdapter {
    static final Duration HOLD = Duration.ofMillis(300);

    @Override
    public void close(
        io.netty.channel.ChannelHandlerContext ctx, io.netty.channel.ChannelPromise promise) {
      ctx.executor().schedule(() -> ctx.close(promise), HOLD.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  // G4: a client that never reads (so never answers the close_notify) is forced at the deadline
  // and named; a cooperative one beside it completes.
  @Tag("G4")
  @Test
  void silentClientIsForcedAtTheDeadlineAndNamed() throws Exception {
    GracefulServer graceful = GracefulServer.create();
    DisposableServer server = start(graceful);
    try {
      InetSocketAddress at = address(server);
      HttpsClient good =
          HttpsClient.connect(at, certs.client(), clientLoops, "TLSv1.3")
              .block(WAIT)
              .readUntilServerCloses();
      HttpsClient silent =
          HttpsClient.connect(at, certs.client(), clientLoops, "TLSv1.3")
              .block(WAIT)
              .readOneResponseThenGoDeaf();
      good.get("/").block(WAIT);
      silent.get("/").block(WAIT);
      good.awaitResponses(1, WAIT);
      // its exchange is done before the shutdown starts: a request still on its way would meet
      // the close_notify, and its response could not be written
      silent.awaitResponses(1, WAIT);
      awaitOpen(graceful, 2);
      ShutdownReport report =
          graceful
              .shutdown(
                  server,
                  ServerShutdown.of(ShutdownSpec.bidirectional()).deadline(Duration.ofSeconds(2)))
              .block(WAIT);
      assertThat(report.stragglers()).as(() -> "entries: " + report.entries()).hasSize(1);
      // the client's id is "local->remote"; the server names the client by its address
      String clientLocal = silent.tls.connectionId().split("->")[0];
      assertThat(report.stragglers().get(0)).endsWith(clientLocal);
      assertThat(report.outcomes()).isEqualTo(Map.of(Outcome.COMPLETE, 1, Outcome.SENT, 1));
      assertThat(report.elapsed()).isGreaterThanOrEqualTo(Duration.ofSeconds(2));
      assertThat(good.answered.get(10, TimeUnit.SECONDS).outcome()).isEqualTo(Outcome.COMPLETE);
    } finally {
      server.disposeNow(Duration.ofSeconds(5));
    }
  }

  // G2 over HTTP/1.1: a keep-alive client's response in flight when the shutdown starts says
  // "Connection: close" (RFC 9112 §9.6), so the client sends no further request on a connection
  // about to get its close_notify; its response from before the shutdown did not say it. Both
  // clients then get the close_notify, answer it, and the report counts two COMPLETE.
  @Tag("G2")
  @Test
  void http11ResponseInFlightSaysConnectionClose() throws Exception {
    GracefulServer graceful = GracefulServer.create();
    java.util.concurrent.atomic.AtomicInteger slowStarted =
        new java.util.concurrent.atomic.AtomicInteger();
    DisposableServer server = start(graceful, slowStarted);
    try {
      List<HttpsClient> clients = cooperativeClients(server, 2);
      for (HttpsClient c : clients) {
        c.get("/").block(WAIT);
        c.awaitResponses(1, WAIT);
        c.get("/slow").block(WAIT);
      }
      awaitSlowRequests(slowStarted, 2);

      ShutdownReport report = shutDownWithGrace(graceful, server, Duration.ofSeconds(10));

      for (HttpsClient c : clients) {
        assertClosedAndAnswered(c);
        List<String> heads = c.heads();
        assertThat(heads).hasSize(2);
        assertThat(heads.get(0)).as("before the shutdown").doesNotContain("connection: close");
        assertThat(heads.get(1)).as("in flight when it started").contains("connection: close");
      }
      assertThat(report.outcomes())
          .as(() -> "errors: " + errorsIn(report))
          .isEqualTo(Map.of(Outcome.COMPLETE, 2));
    } finally {
      server.disposeNow(Duration.ofSeconds(5));
    }
  }

  // TLS 1.3 half-close: a client that sends its request and then its close_notify still gets the
  // whole response (reactor-netty alone closes the channel on the close_notify), then the server's
  // close_notify; the server reports a peer-initiated COMPLETE.
  @Tag("T3")
  @Test
  void tls13HalfCloseStillGetsTheResponse() throws Exception {
    HalfClose h = halfCloseAfterASlowRequest();
    assertThat(h.responses()).isEqualTo(1);
    assertThat(h.server().outcome()).isEqualTo(Outcome.COMPLETE);
    assertThat(h.server().initiator()).isEqualTo(Initiator.PEER);
  }

  /** What a half-closing client got, and how the server ended its connection. */
  record HalfClose(int responses, ShutdownResult server) {}

  /**
   * A TLS 1.3 client sends GET /slow (answered after 500 ms), then at once its close_notify, and
   * reads until the server's close_notify ends the stream (a truncation fails this).
   */
  HalfClose halfCloseAfterASlowRequest() throws Exception {
    GracefulServer graceful = GracefulServer.create();
    DisposableServer server = start(graceful);
    try {
      HttpsClient c =
          HttpsClient.connect(address(server), certs.client(), clientLoops, "TLSv1.3").block(WAIT);
      CompletableFuture<ShutdownResult> serverSide = new CompletableFuture<>();
      c.get("/slow").block(WAIT);
      ShutdownResult half = c.tls.shutdown(ShutdownSpec.bidirectional().fast()).block(WAIT);
      assertThat(half.outcome()).isEqualTo(Outcome.SENT);
      awaitOpen(graceful, 1);
      ((NettyTlsConnection) graceful.openConnections().iterator().next())
          .ended()
          .subscribe(serverSide::complete);
      c.readUntilServerCloses();
      c.ended().get(30, TimeUnit.SECONDS);
      return new HalfClose(c.responses(), serverSide.get(30, TimeUnit.SECONDS));
    } finally {
      server.disposeNow(Duration.ofSeconds(5));
    }
  }

  static void awaitOpen(GracefulServer graceful, int n) {
    awaitUntil(() -> graceful.openConnections().size() >= n);
  }

  /** Waits (looking every 5 ms on Reactor's timer, at most {@link #WAIT}) until {@code done}. */
  static void awaitUntil(java.util.function.BooleanSupplier done) {
    Mono.fromCallable(done::getAsBoolean)
        .filter(b -> b)
        .repeatWhenEmpty(r -> r.delayElements(Duration.ofMillis(5)))
        .block(WAIT);
  }
}
