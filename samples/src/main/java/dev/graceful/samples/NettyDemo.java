package dev.graceful.samples;

import dev.graceful.core.Initiator;
import dev.graceful.core.LoopGroup;
import dev.graceful.core.Outcome;
import dev.graceful.core.ServerShutdown;
import dev.graceful.core.ShutdownReport;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.netty.GracefulServer;
import dev.graceful.netty.NettyTlsConnection;
import dev.graceful.testkit.SelfSignedCertificate;
import dev.graceful.tls.TlsConnection;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.netty.DisposableServer;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.server.HttpServer;
import reactor.netty.resources.ConnectionProvider;
import reactor.netty.resources.LoopResources;

/**
 * The demo's reactor-netty part: an HTTPS server tracked by {@link GracefulServer}, reactor-netty
 * HTTP clients with keep-alive connections (graceful on their side too, to see the server's
 * close_notify arrive), some with a slow request in flight at the shutdown, and a few clients that
 * never read and must be forced at the deadline and named.
 */
final class NettyDemo {
  private static final Duration WAIT = Duration.ofSeconds(60);
  static final int SLOW_BODY = 64 * 1024;

  private NettyDemo() {}

  static DemoTable.Section run(
      SelfSignedCertificate cert,
      int clients,
      int webSocketClients,
      LoopGroup rawClientLoops,
      Progress progress)
      throws Exception {
    Progress.Phase starting = progress.start("reactor-netty HTTPS: server up");
    SslContext serverCtx =
        SslContextBuilder.forServer(cert.keys().getPrivate(), cert.certificate()).build();
    // the clients verify the server (its certificate names 127.0.0.1), as reactor-netty does by
    // default
    SslContext clientCtx = SslContextBuilder.forClient().trustManager(cert.certificate()).build();
    GracefulServer graceful = GracefulServer.create();
    LoopResources serverLoops = LoopResources.create("demo-https", 2, true);
    LoopResources clientLoops = LoopResources.create("demo-https-client", 2, true);
    DisposableServer server =
        graceful
            .install(
                HttpServer.create()
                    .runOn(serverLoops)
                    .host("127.0.0.1")
                    .port(0)
                    .secure(s -> s.sslContext(serverCtx)))
            .handle(
                graceful.http(
                    (req, res) ->
                        req.uri().startsWith("/ws")
                            ? res.sendWebsocket(
                                (in, out) ->
                                    out.sendString(in.receive().asString().map(m -> "echo " + m)))
                            : req.uri().startsWith("/slow")
                                ? res.header("content-length", Integer.toString(SLOW_BODY))
                                    .sendString(
                                        Mono.delay(Duration.ofMillis(300))
                                            .map(x -> "x".repeat(SLOW_BODY)))
                                : res.header("content-length", "2").sendString(Mono.just("ok"))))
            .bindNow(Duration.ofSeconds(10));
    starting.end("port " + server.port());
    int silentCount = Math.max(1, clients / 20);
    int cooperative = clients - silentCount;
    int slowCount = Math.max(1, cooperative / 5);
    ConnectionProvider pool =
        ConnectionProvider.builder("demo")
            .maxConnections(cooperative)
            .pendingAcquireMaxCount(-1)
            .build();
    Queue<NettyTlsConnection> clientSides = new ConcurrentLinkedQueue<>();
    // connections whose response said "Connection: close" (those in flight at the shutdown):
    // reactor-netty's client closes such a connection itself once the response is in
    Set<io.netty.channel.Channel> toldToClose = ConcurrentHashMap.newKeySet();
    HttpClient http =
        HttpClient.create(pool)
            .runOn(clientLoops)
            .secure(s -> s.sslContext(clientCtx))
            .baseUrl("https://127.0.0.1:" + server.port())
            .doOnConnected(c -> clientSides.add(NettyTlsConnection.of(c)))
            .doOnResponse(
                (res, c) -> {
                  if (res.responseHeaders()
                      .containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE, true)) {
                    toldToClose.add(c.channel());
                  }
                });
    List<String> problems = new ArrayList<>();
    try {
      // every cooperative client opens its keep-alive connection with a first request
      Progress.Phase connecting =
          progress.start(
              "reactor-netty HTTPS: "
                  + cooperative
                  + " keep-alive clients, "
                  + silentCount
                  + " silent ones, "
                  + webSocketClients
                  + " WebSockets connect");
      long okBodies =
          Flux.range(0, cooperative)
              .flatMap(
                  i -> http.get().uri("/").responseContent().aggregate().asString(), cooperative)
              .filter("ok"::equals)
              .count()
              .block(WAIT);
      if (okBodies != cooperative) {
        problems.add("https: " + okBodies + " of " + cooperative + " first responses");
      }
      // clients that never read: their close_notify answer never comes
      javax.net.ssl.SSLContext rawCtx = cert.trustingClientContext();
      List<TlsConnection> silent =
          Flux.range(0, silentCount)
              .flatMap(
                  i ->
                      TlsConnection.connect(
                          new InetSocketAddress("127.0.0.1", server.port()),
                          rawCtx,
                          rawClientLoops,
                          e -> {}))
              .concatMap(
                  c ->
                      c.send(
                              ByteBuffer.wrap(
                                  "GET / HTTP/1.1\r\nHost: demo\r\n\r\n"
                                      .getBytes(StandardCharsets.US_ASCII)))
                          .thenReturn(c))
              .collectList()
              .block(WAIT);
      // WebSockets (reactor-netty's client), each open after one echoed message; graceful sends
      // each a close frame (1001) when the shutdown starts, and each answers it
      Set<String> webSocketIds = ConcurrentHashMap.newKeySet();
      Queue<Integer> closeCodes = new ConcurrentLinkedQueue<>();
      List<Mono<String>> echoes = new ArrayList<>();
      HttpClient.WebsocketSender ws =
          HttpClient.newConnection()
              .runOn(clientLoops)
              .secure(s -> s.sslContext(clientCtx))
              // the server names a connection by the client's address
              .doOnConnected(c -> webSocketIds.add("netty:" + c.channel().localAddress()))
              .websocket()
              .uri("wss://127.0.0.1:" + server.port() + "/ws");
      for (int i = 0; i < webSocketClients; i++) {
        Sinks.One<String> echo = Sinks.one();
        echoes.add(echo.asMono());
        ws.handle(
                (in, out) -> {
                  in.receiveCloseStatus().subscribe(st -> closeCodes.add(st.code()));
                  return out.sendString(Mono.just("hello"))
                      .then(in.receive().asString().doOnNext(echo::tryEmitValue).then());
                })
            .subscribe(null, e -> echo.tryEmitError(e));
      }
      long echoed = Flux.merge(echoes).filter("echo hello"::equals).count().block(WAIT);
      if (echoed != webSocketClients) {
        problems.add("websocket: " + echoed + " of " + webSocketClients + " echoes");
      }
      connecting.end();
      // requests in flight when the shutdown starts
      Progress.Phase inFlight =
          progress.start("reactor-netty HTTPS: " + slowCount + " slow requests in flight");
      Mono<List<Integer>> slowBodies =
          Flux.range(0, slowCount)
              .flatMap(
                  i ->
                      http.get()
                          .uri("/slow")
                          .responseContent()
                          .aggregate()
                          .asString()
                          .map(String::length),
                  slowCount)
              .collectList()
              .cache();
      slowBodies.subscribe();
      Mono.fromCallable(() -> graceful.openConnections().size())
          .filter(n -> n >= cooperative + silentCount + webSocketClients)
          .repeatWhenEmpty(r -> r.delayElements(Duration.ofMillis(5)))
          .block(WAIT);
      Mono.delay(Duration.ofMillis(50)).block(WAIT); // the slow requests reach the server
      inFlight.end();

      Progress.Phase shutdown =
          progress.start(
              "reactor-netty HTTPS: graceful shutdown (grace 2000 ms, deadline 3000 ms)");
      ShutdownReport report =
          graceful
              .shutdown(
                  server,
                  ServerShutdown.of(ShutdownSpec.bidirectional())
                      .grace(Duration.ofSeconds(2))
                      .deadline(Duration.ofSeconds(3)))
              .block(WAIT);
      shutdown.end(report.connections() + " connections");

      Progress.Phase checking = progress.start("reactor-netty HTTPS: what each client saw");
      List<Integer> bodies = slowBodies.block(WAIT);
      long whole = bodies.stream().filter(n -> n == SLOW_BODY).count();
      if (whole != slowCount) {
        problems.add("https: " + whole + " of " + slowCount + " slow responses whole");
      }
      // each client connection saw the server's close_notify and answered it, or, told by its
      // response to close, closed itself first
      List<String> clientEndings =
          Flux.fromIterable(clientSides)
              .flatMap(c -> clientEnding(c, toldToClose.contains(c.channel())))
              .collectList()
              .block(WAIT);
      long answered = clientEndings.stream().filter("answered"::equals).count();
      long closedFirst = clientEndings.stream().filter("closed first"::equals).count();
      if (clientSides.size() < cooperative || answered + closedFirst != clientSides.size()) {
        problems.add(
            "https: of "
                + clientSides.size()
                + " client connections, "
                + answered
                + " saw the server's close_notify and answered"
                + " it, and "
                + closedFirst
                + " told by their response to close closed first");
      }
      if (report.stragglers().size() != silentCount) {
        problems.add(
            "https: "
                + report.stragglers().size()
                + " stragglers forced, expected the "
                + silentCount
                + " silent clients");
      }
      long completeCount = report.outcomes().getOrDefault(Outcome.COMPLETE, 0);
      if (completeCount != cooperative + webSocketClients || !report.errors().isEmpty()) {
        problems.add("https: server saw " + report.outcomes() + " " + report.errors());
      }
      long wentAway = closeCodes.stream().filter(code -> code == 1001).count();
      if (wentAway != webSocketClients) {
        problems.add(
            "websocket: "
                + wentAway
                + " of "
                + webSocketClients
                + " clients got the close frame 1001 "
                + closeCodes);
      }
      long webSocketsComplete =
          report.entries().stream()
              .filter(e -> webSocketIds.contains(e.connectionId()))
              .filter(e -> e.result().map(r -> r.outcome() == Outcome.COMPLETE).orElse(false))
              .count();
      if (webSocketsComplete != webSocketClients) {
        problems.add(
            "websocket: server saw "
                + webSocketsComplete
                + " of "
                + webSocketClients
                + " end COMPLETE");
      }
      Flux.fromIterable(silent).flatMap(TlsConnection::release).blockLast(WAIT);
      checking.end();
      return new DemoTable.Section(
          "reactor-netty HTTPS",
          report.connections(),
          report.elapsed().toMillis(),
          rows(report, webSocketIds),
          problems);
    } finally {
      server.disposeNow(Duration.ofSeconds(5));
      pool.disposeLater().block(WAIT);
      clientLoops.disposeLater().block(WAIT);
      serverLoops.disposeLater().block(WAIT);
    }
  }

  /**
   * @param c a client connection
   * @param toldToClose whether its last response said {@code Connection: close}
   * @return "answered" when it answered the server's close_notify; "closed first" when, told to
   *     close, reactor-netty's client closed it before the server's close_notify came (its own
   *     close_notify and the server's may cross); else "unanswered", within 10 s
   */
  private static Mono<String> clientEnding(NettyTlsConnection c, boolean toldToClose) {
    Mono<String> answered =
        c.ended()
            .filter(r -> r.outcome() == Outcome.COMPLETE && r.initiator() == Initiator.PEER)
            .map(r -> "answered")
            .onErrorResume(e -> Mono.empty());
    Mono<String> closedFirst =
        toldToClose
            ? Mono.<String>create(
                    sink ->
                        c.channel().closeFuture().addListener(f -> sink.success("closed first")))
                // a close_notify of the server's that arrived first is answered before the close
                .delayElement(Duration.ofMillis(100))
            : Mono.never();
    return Mono.firstWithValue(answered, closedFirst)
        .timeout(Duration.ofSeconds(10))
        .onErrorReturn("unanswered");
  }

  /**
   * A WebSocket's row says "1001 then" its outcome, without the initiator: its client closes after
   * answering the close frame, so which close_notify goes first is a race either side may win.
   */
  static List<DemoTable.Row> rows(ShutdownReport report, Set<String> webSocketIds) {
    return DemoTable.rows(
        "reactor-netty HTTPS",
        "bidirectional",
        report,
        e ->
            e.forced()
                ? "FORCED/" + e.result().map(r -> r.outcome().name()).orElse("ERROR")
                : webSocketIds.contains(e.connectionId())
                    ? "1001 then "
                        + e.result()
                            .map(r -> r.outcome().name())
                            .orElseGet(() -> e.error().get().reason().name())
                    : e.result()
                        .map(r -> r.outcome() + "/" + r.initiator())
                        .orElseGet(() -> e.error().get().reason().name()),
        ending ->
            ending.startsWith("FORCED")
                ? "silent"
                : ending.startsWith("1001") ? "websocket" : "keep-alive");
  }
}
