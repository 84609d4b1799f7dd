package dev.graceful.netty;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graceful.core.Initiator;
import dev.graceful.core.Outcome;
import dev.graceful.core.ServerShutdown;
import dev.graceful.core.ShutdownReport;
import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.core.ShutdownState;
import dev.graceful.netty.internal.NettyCleartextEngine;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.netty.DisposableServer;
import reactor.netty.http.HttpProtocol;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.server.HttpServer;
import reactor.netty.tcp.TcpServer;

/**
 * G7 on real reactor-netty servers without TLS (HTTP/1.1, h2c, TCP), with plain socket clients:
 * cleartext connections are tracked, drained, shut down by TCP's FIN and reported truthfully.
 */
@Tag("G7")
class CleartextServerShutdownIT {
  static final Duration WAIT = Duration.ofSeconds(30);
  static final int SLOW_BODY = 64 * 1024;

  /** GET / answers "ok" at once; GET /slow answers 64 KiB after 500 ms. */
  record Server(
      GracefulServer graceful,
      DisposableServer server,
      AtomicInteger slowStarted,
      List<String> dispatched) {
    InetSocketAddress address() {
      return new InetSocketAddress("127.0.0.1", server.port());
    }

    CompletableFuture<ShutdownReport> shutDown(ServerShutdown how) {
      return graceful.shutdown(server, how).toFuture();
    }
  }

  static Server start(HttpProtocol... protocols) {
    GracefulServer graceful = GracefulServer.create();
    AtomicInteger slowStarted = new AtomicInteger();
    List<String> dispatched = new CopyOnWriteArrayList<>();
    DisposableServer server =
        graceful
            .install(HttpServer.create().host("127.0.0.1").port(0).protocol(protocols))
            .handle(
                graceful.http(
                    (req, res) -> {
                      dispatched.add(req.uri());
                      if (req.uri().startsWith("/slow")) {
                        slowStarted.incrementAndGet();
                        return res.header("content-length", Integer.toString(SLOW_BODY))
                            .sendString(
                                Mono.delay(Duration.ofMillis(500), Schedulers.boundedElastic())
                                    .map(x -> "x".repeat(SLOW_BODY)));
                      }
                      return res.header("content-length", "2").sendString(Mono.just("ok"));
                    }))
            .bindNow(Duration.ofSeconds(10));
    return new Server(graceful, server, slowStarted, dispatched);
  }

  static ServerShutdown withGrace(Duration deadline) {
    return ServerShutdown.of(ShutdownSpec.bidirectional())
        .grace(Duration.ofSeconds(5))
        .deadline(deadline);
  }

  /**
   * A keep-alive HTTP/1.1 client on a plain blocking socket (the test's thread blocks, not a loop).
   */
  static final class PlainClient implements AutoCloseable {
    final Socket socket;
    private final InputStream in;

    PlainClient(InetSocketAddress at) throws IOException {
      socket = new Socket(at.getAddress(), at.getPort());
      socket.setSoTimeout((int) WAIT.toMillis());
      in = socket.getInputStream();
    }

    void send(String path) throws IOException {
      String req = "GET " + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n";
      socket.getOutputStream().write(req.getBytes(StandardCharsets.US_ASCII));
      socket.getOutputStream().flush();
    }

    /**
     * @return the response's head (lower case) and its body's length
     */
    String[] readResponse() throws IOException {
      ByteArrayOutputStream head = new ByteArrayOutputStream();
      int matched = 0;
      while (matched < 4) {
        int b = in.read();
        if (b < 0) {
          throw new IOException("the connection ended inside a response head: " + head);
        }
        head.write(b);
        matched = (b == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (b == '\r' ? 1 : 0);
      }
      String h = head.toString(StandardCharsets.ISO_8859_1).toLowerCase(Locale.ROOT);
      int at = h.indexOf("content-length:");
      int length = Integer.parseInt(h.substring(at + 15, h.indexOf('\r', at)).trim());
      byte[] body = in.readNBytes(length);
      return new String[] {h, Integer.toString(body.length)};
    }

    /**
     * @return true when the server's FIN came next (no further byte)
     */
    boolean readsEnd() throws IOException {
      return in.read() < 0;
    }

    int localPort() {
      return socket.getLocalPort();
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }

  static void assertCleartextComplete(ShutdownResult r) {
    assertThat(r.protocol()).isEqualTo(NettyCleartextEngine.PROTOCOL);
    assertThat(r.outcome()).isEqualTo(Outcome.COMPLETE);
    assertThat(r.state()).isEqualTo(ShutdownState.SENT_AND_RECEIVED);
    assertThat(r.initiator()).isEqualTo(Initiator.LOCAL);
    assertThat(r.unauthenticatedEof()).as("a FIN is not authenticated").isTrue();
    assertThat(r.sessionResumable()).isFalse();
    assertThat(r.truncationRisk()).isFalse();
  }

  static List<ShutdownResult> results(ShutdownReport report) {
    return report.entries().stream()
        .map(e -> e.result().orElseThrow(() -> new AssertionError("error: " + e.error())))
        .toList();
  }

  // Idle keep-alive connections are tracked, get the server's FIN at once (not after the grace
  // period), and, once their clients close too, are reported COMPLETE as cleartext.
  @Test
  void idleKeepAliveConnectionsGetAFinAtOnceAndAreReportedAsCleartext() throws Exception {
    Server s = start(HttpProtocol.HTTP11);
    try {
      List<PlainClient> clients =
          List.of(
              new PlainClient(s.address()),
              new PlainClient(s.address()),
              new PlainClient(s.address()));
      for (PlainClient c : clients) {
        c.send("/");
        assertThat(c.readResponse()[0]).doesNotContain("connection: close");
      }
      NettyServerShutdownIT.awaitOpen(s.graceful(), 3);

      CompletableFuture<ShutdownReport> shutdown = s.shutDown(withGrace(Duration.ofSeconds(10)));
      for (PlainClient c : clients) {
        assertThat(c.readsEnd()).isTrue();
        c.close();
      }
      ShutdownReport report = shutdown.get(WAIT.toSeconds(), TimeUnit.SECONDS);

      assertThat(report.connections()).isEqualTo(3);
      assertThat(results(report)).allSatisfy(CleartextServerShutdownIT::assertCleartextComplete);
      assertThat(report.stragglers()).isEmpty();
      assertThat(report.clean()).isTrue();
      assertThat(report.elapsed())
          .as("idle connections are not held for the grace period")
          .isLessThan(Duration.ofSeconds(5));
      assertThat(s.graceful().openConnections()).isEmpty();
    } finally {
      s.server().disposeNow(Duration.ofSeconds(5));
    }
  }

  // The response in flight when the shutdown starts arrives whole and says "Connection: close";
  // then the server's FIN; the report counts one COMPLETE, not forced.
  @Test
  void responseInFlightSaysConnectionCloseThenTheConnectionEnds() throws Exception {
    Server s = start(HttpProtocol.HTTP11);
    try (PlainClient c = new PlainClient(s.address())) {
      c.send("/slow");
      NettyServerShutdownIT.awaitUntil(() -> s.slowStarted().get() == 1);

      CompletableFuture<ShutdownReport> shutdown = s.shutDown(withGrace(Duration.ofSeconds(10)));
      String[] response = c.readResponse();
      assertThat(response[0]).contains("connection: close");
      assertThat(response[1]).isEqualTo(Integer.toString(SLOW_BODY));
      assertThat(c.readsEnd()).isTrue();
      c.socket.shutdownOutput();
      ShutdownReport report = shutdown.get(WAIT.toSeconds(), TimeUnit.SECONDS);

      assertThat(results(report))
          .singleElement()
          .satisfies(CleartextServerShutdownIT::assertCleartextComplete);
      assertThat(report.stragglers()).isEmpty();
    } finally {
      s.server().disposeNow(Duration.ofSeconds(5));
    }
  }

  // G4 for cleartext: a client that never closes after the server's FIN is forced at the deadline
  // and named by its address; its result says our FIN went out, the peer's never came.
  @Tag("G4")
  @Test
  void clientThatNeverClosesIsForcedAtTheDeadlineAndNamed() throws Exception {
    Server s = start(HttpProtocol.HTTP11);
    try (PlainClient c = new PlainClient(s.address())) {
      c.send("/");
      c.readResponse();
      NettyServerShutdownIT.awaitOpen(s.graceful(), 1);

      ShutdownReport report =
          s.shutDown(
                  ServerShutdown.of(ShutdownSpec.bidirectional()).deadline(Duration.ofMillis(500)))
              .get(WAIT.toSeconds(), TimeUnit.SECONDS);

      assertThat(report.stragglers()).singleElement().asString().endsWith(":" + c.localPort());
      ShutdownResult r = results(report).get(0);
      assertThat(r.outcome()).isEqualTo(Outcome.SENT);
      assertThat(r.state()).isEqualTo(ShutdownState.SENT);
      assertThat(r.protocol()).isEqualTo(NettyCleartextEngine.PROTOCOL);
      assertThat(r.truncationRisk()).isTrue();
      assertThat(c.readsEnd()).as("the FIN reached the client").isTrue();
      assertThat(s.graceful().openConnections()).isEmpty();
    } finally {
      s.server().disposeNow(Duration.ofSeconds(5));
    }
  }

  // No request lost in the drain, cleartext: a keep-alive client that sends a request after the
  // server's FIN went out (it had not read it yet) does not have it dispatched; it sees the
  // connection end without a response (so it may retry), and the report counts the refusal.
  @Test
  void requestSentAfterTheFinIsNotDispatchedAndIsCounted() throws Exception {
    Server s = start(HttpProtocol.HTTP11);
    try (PlainClient c = new PlainClient(s.address())) {
      c.send("/");
      c.readResponse();
      NettyServerShutdownIT.awaitOpen(s.graceful(), 1);

      CompletableFuture<ShutdownReport> shutdown = s.shutDown(withGrace(Duration.ofSeconds(10)));
      assertThat(c.readsEnd()).isTrue();
      c.send("/late"); // the server only half-closed: it still reads
      c.socket.shutdownOutput();
      ShutdownReport report = shutdown.get(WAIT.toSeconds(), TimeUnit.SECONDS);

      assertThat(s.dispatched()).containsExactly("/");
      assertThat(report.refusedRequests()).isEqualTo(1);
      assertThat(results(report))
          .singleElement()
          .satisfies(CleartextServerShutdownIT::assertCleartextComplete);
    } finally {
      s.server().disposeNow(Duration.ofSeconds(5));
    }
  }

  // h2c: a connection with a slow stream in flight gets the two GOAWAYs, its response whole, then
  // the FIN; the report counts one COMPLETE cleartext connection. The client is reactor-netty's,
  // speaking HTTP/2 with prior knowledge.
  @Test
  void h2cConnectionGetsGoawayAndItsResponseThenEnds() throws Exception {
    Server s = start(HttpProtocol.H2C);
    List<Integer> goAways = new CopyOnWriteArrayList<>();
    HttpClient client =
        HttpClient.create()
            .protocol(HttpProtocol.H2C)
            .doOnChannelInit(
                (o, ch, remote) -> {
                  if (ch.parent() == null) {
                    ch.pipeline().addLast("goaway-seen", new GoAwaySeen(goAways));
                  }
                });
    try {
      CompletableFuture<String> slow =
          client
              .get()
              .uri("http://127.0.0.1:" + s.server().port() + "/slow")
              .responseContent()
              .aggregate()
              .asString()
              .toFuture();
      NettyServerShutdownIT.awaitUntil(() -> s.slowStarted().get() == 1);

      ShutdownReport report =
          s.shutDown(withGrace(Duration.ofSeconds(10))).get(WAIT.toSeconds(), TimeUnit.SECONDS);

      assertThat(slow.get(WAIT.toSeconds(), TimeUnit.SECONDS)).hasSize(SLOW_BODY);
      assertThat(goAways).contains(Integer.MAX_VALUE);
      ShutdownResult r = results(report).get(0);
      assertThat(report.connections()).isEqualTo(1);
      assertThat(r.protocol()).isEqualTo(NettyCleartextEngine.PROTOCOL);
      assertThat(r.outcome()).isEqualTo(Outcome.COMPLETE);
      assertThat(report.stragglers()).isEmpty();
    } finally {
      s.server().disposeNow(Duration.ofSeconds(5));
    }
  }

  // A server that speaks HTTP/1.1 and h2c (protocol(HTTP11, H2C)) names its HTTP/1.1 codec
  // otherwise than an HTTP/1.1-only one: the HTTP/1.1 response in flight when the shutdown starts
  // still says "Connection: close" (it did not: its client could send another request into the
  // close), arrives whole, then the FIN; the report counts one COMPLETE.
  @Test
  void http11ResponseInFlightOnAnH2cCapableServerSaysConnectionClose() throws Exception {
    Server s = start(HttpProtocol.HTTP11, HttpProtocol.H2C);
    try (PlainClient c = new PlainClient(s.address())) {
      c.send("/");
      assertThat(c.readResponse()[0]).doesNotContain("connection: close");
      c.send("/slow");
      NettyServerShutdownIT.awaitUntil(() -> s.slowStarted().get() == 1);

      CompletableFuture<ShutdownReport> shutdown = s.shutDown(withGrace(Duration.ofSeconds(10)));
      String[] response = c.readResponse();
      assertThat(response[0]).contains("connection: close");
      assertThat(response[1]).isEqualTo(Integer.toString(SLOW_BODY));
      assertThat(c.readsEnd()).isTrue();
      c.socket.shutdownOutput();
      ShutdownReport report = shutdown.get(WAIT.toSeconds(), TimeUnit.SECONDS);

      assertThat(results(report))
          .singleElement()
          .satisfies(CleartextServerShutdownIT::assertCleartextComplete);
      assertThat(report.stragglers()).isEmpty();
    } finally {
      s.server().disposeNow(Duration.ofSeconds(5));
    }
  }

  // On a server that speaks HTTP/1.1 and h2c, a connection that became HTTP/2 (by prior
  // knowledge, or by an HTTP/1.1 upgrade to h2c) gets the GOAWAYs and its slow response whole;
  // the report counts each COMPLETE.
  @ParameterizedTest
  @EnumSource(names = {"H2C", "HTTP11"})
  void h2cConnectionOfAnH2cCapableServerGetsGoawayAndItsResponse(HttpProtocol clientFirst)
      throws Exception {
    Server s = start(HttpProtocol.HTTP11, HttpProtocol.H2C);
    List<Integer> goAways = new CopyOnWriteArrayList<>();
    // H2C alone: prior knowledge; HTTP11 and H2C: an HTTP/1.1 request that upgrades to h2c
    HttpProtocol[] protocols =
        clientFirst == HttpProtocol.H2C
            ? new HttpProtocol[] {HttpProtocol.H2C}
            : new HttpProtocol[] {HttpProtocol.HTTP11, HttpProtocol.H2C};
    HttpClient client =
        HttpClient.create()
            .protocol(protocols)
            .doOnChannelInit(
                (o, ch, remote) -> {
                  if (ch.parent() == null) {
                    ch.pipeline().addLast("goaway-seen", new GoAwaySeen(goAways));
                  }
                });
    try {
      String base = "http://127.0.0.1:" + s.server().port();
      // the first exchange makes the connection HTTP/2 (an upgrade's request is answered on stream
      // 1)
      assertThat(client.get().uri(base + "/").responseContent().aggregate().asString().block(WAIT))
          .isEqualTo("ok");
      CompletableFuture<String> slow =
          client.get().uri(base + "/slow").responseContent().aggregate().asString().toFuture();
      NettyServerShutdownIT.awaitUntil(() -> s.slowStarted().get() == 1);

      ShutdownReport report =
          s.shutDown(withGrace(Duration.ofSeconds(10))).get(WAIT.toSeconds(), TimeUnit.SECONDS);

      assertThat(slow.get(WAIT.toSeconds(), TimeUnit.SECONDS)).hasSize(SLOW_BODY);
      assertThat(goAways).contains(Integer.MAX_VALUE);
      assertThat(report.connections()).isEqualTo(1);
      ShutdownResult r = results(report).get(0);
      assertThat(r.protocol()).isEqualTo(NettyCleartextEngine.PROTOCOL);
      assertThat(r.outcome()).isEqualTo(Outcome.COMPLETE);
      assertThat(report.stragglers()).isEmpty();
    } finally {
      s.server().disposeNow(Duration.ofSeconds(5));
    }
  }

  /** Records the last-stream ids of the GOAWAYs a client connection receives. */
  static final class GoAwaySeen extends ChannelInboundHandlerAdapter {
    private final List<Integer> seen;

    GoAwaySeen(List<Integer> seen) {
      this.seen = seen;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof Http2GoAwayFrame g) {
        seen.add(g.lastStreamId());
      }
      ctx.fireChannelRead(msg);
    }
  }

  // G8: a server-sent-event stream, an exchange that would run forever, watches draining() and
  // ends with a final event when the shutdown begins; the connection then ends cleanly, long
  // before the grace period would have cut the stream.
  @Tag("G8")
  @Test
  void eventStreamEndsWithAFinalEventWhenDrainingBegins() throws Exception {
    GracefulServer graceful = GracefulServer.create();
    AtomicInteger ticks = new AtomicInteger();
    DisposableServer server =
        graceful
            .install(HttpServer.create().host("127.0.0.1").port(0))
            .handle(
                graceful.http(
                    (req, res) ->
                        res.header("content-type", "text/event-stream")
                            .sendString(
                                Flux.interval(Duration.ofMillis(20), Schedulers.boundedElastic())
                                    .map(i -> "data: tick " + ticks.incrementAndGet() + "\n\n")
                                    .takeUntilOther(graceful.draining())
                                    .concatWith(Mono.just("data: bye\n\n")))))
            .bindNow(Duration.ofSeconds(10));
    try (PlainClient c = new PlainClient(new InetSocketAddress("127.0.0.1", server.port()))) {
      c.send("/events");
      NettyServerShutdownIT.awaitUntil(() -> ticks.get() >= 3);

      CompletableFuture<ShutdownReport> shutdown =
          graceful.shutdown(server, withGrace(Duration.ofSeconds(10))).toFuture();
      String stream =
          new String(c.socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
      c.socket.shutdownOutput();
      ShutdownReport report = shutdown.get(WAIT.toSeconds(), TimeUnit.SECONDS);

      assertThat(stream).contains("data: tick 1").contains("data: bye");
      assertThat(stream.indexOf("data: bye")).isGreaterThan(stream.lastIndexOf("data: tick"));
      assertThat(results(report))
          .singleElement()
          .satisfies(CleartextServerShutdownIT::assertCleartextComplete);
      assertThat(report.stragglers()).isEmpty();
      assertThat(report.elapsed())
          .as("ended by the stream, not the grace period")
          .isLessThan(Duration.ofSeconds(5));
    } finally {
      server.disposeNow(Duration.ofSeconds(5));
    }
  }

  // G2 for TCP: a TCP server has no exchanges of its own; what the application marks with
  // track(connection, ...) is in flight. The shutdown waits for it (the reply goes out whole), and
  // a session that watches draining() says goodbye before the FIN.
  @Tag("G2")
  @Tag("G8")
  @Test
  void tcpServerWaitsForMarkedExchangesAndSessionsSayGoodbyeOnDraining() throws Exception {
    GracefulServer graceful = GracefulServer.create();
    AtomicInteger working = new AtomicInteger();
    DisposableServer server =
        graceful
            .install(TcpServer.create().host("127.0.0.1").port(0))
            .handle(
                (in, out) -> {
                  reactor.netty.Connection[] conn = new reactor.netty.Connection[1];
                  in.withConnection(c -> conn[0] = c);
                  // a session: in flight until it has said goodbye, once draining began
                  Mono<Void> session =
                      graceful.track(
                          conn[0],
                          graceful.draining().then(out.sendString(Mono.just("bye\n")).then()));
                  Mono<Void> work =
                      in.receive()
                          .asString()
                          .next()
                          .flatMap(
                              msg ->
                                  graceful.track(
                                      conn[0],
                                      Mono.fromRunnable(working::incrementAndGet)
                                          .then(
                                              Mono.delay(
                                                  Duration.ofMillis(300),
                                                  Schedulers.boundedElastic()))
                                          .then(
                                              out.sendString(Mono.just("done " + msg.trim() + "\n"))
                                                  .then())));
                  return Mono.when(session, work);
                })
            .bindNow(Duration.ofSeconds(10));
    try (Socket c = new Socket("127.0.0.1", server.port())) {
      c.setSoTimeout((int) WAIT.toMillis());
      c.getOutputStream().write("work\n".getBytes(StandardCharsets.US_ASCII));
      NettyServerShutdownIT.awaitUntil(() -> working.get() == 1);

      CompletableFuture<ShutdownReport> shutdown =
          graceful.shutdown(server, withGrace(Duration.ofSeconds(10))).toFuture();
      String all = new String(c.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
      c.shutdownOutput();
      ShutdownReport report = shutdown.get(WAIT.toSeconds(), TimeUnit.SECONDS);

      assertThat(all).contains("bye\n").contains("done work\n");
      assertThat(results(report))
          .singleElement()
          .satisfies(CleartextServerShutdownIT::assertCleartextComplete);
      assertThat(report.stragglers()).isEmpty();
    } finally {
      server.disposeNow(Duration.ofSeconds(5));
    }
  }
}
