package dev.graceful.samples;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graceful.core.LoopGroup;
import dev.graceful.core.Outcome;
import dev.graceful.core.ShutdownException;
import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.core.TransportPolicy;
import dev.graceful.testkit.SelfSignedCertificate;
import dev.graceful.tls.TlsConnection;
import dev.graceful.tls.TlsServer;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import reactor.core.Disposable;
import reactor.core.Exceptions;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The main job: embedded servers on loopback (graceful's own NIO TLS server, a reactor-netty HTTPS
 * server, a Kwik QUIC server) with a generated certificate, a few hundred clients with data in
 * flight, then a graceful shutdown of every connection, checked against what each client saw, as a
 * table per server and mode and a final JSON summary line.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description =
        "Embedded TLS, HTTPS and QUIC servers, clients with traffic, a graceful shutdown of everything, a report.")
final class DemoCommand implements Callable<Integer> {
  /** How a client behaves, and what each side must see. */
  enum Kind {
    /** Waits for the server's close_notify, answers it; must receive every byte. */
    COOPERATIVE,
    /** Closes first while the server is still reading. */
    CLOSES_FIRST,
    /** Never reads or answers: the server must force it at the deadline and name it. */
    SILENT
  }

  @Option(
      names = "--clients",
      paramLabel = "N",
      description = "clients of graceful's own TLS server (default 300)")
  int clients = 300;

  @Option(
      names = "--https-clients",
      paramLabel = "N",
      description = "clients of the reactor-netty HTTPS server (default 200)")
  int httpsClients = 200;

  @Option(
      names = "--websocket-clients",
      paramLabel = "N",
      description = "WebSocket clients of the reactor-netty HTTPS server (default 20)")
  int webSocketClients = 20;

  @Option(
      names = "--quic-clients",
      paramLabel = "N",
      description = "clients of the Kwik QUIC server (default 40)")
  int quicClients = 40;

  @Option(
      names = "--send",
      paramLabel = "BYTES",
      description = "bytes each side sends (default 65536)")
  int send = 64 * 1024;

  @Option(
      names = "--timeout",
      paramLabel = "D",
      converter = DurationConverter.class,
      description = "the server's deadline per connection (default 2s)")
  Duration timeout = Duration.ofSeconds(2);

  private static final Duration WAIT = Duration.ofSeconds(60);

  /** What the server saw of one connection. */
  record ServerSide(Kind kind, String ending, boolean ok, long elapsedMs) {}

  @Override
  public Integer call() throws Exception {
    if (clients < 3 || httpsClients < 2 || quicClients < 1 || webSocketClients < 0) {
      throw new IllegalArgumentException(
          "--clients must be at least 3, --https-clients 2, --quic-clients 1, --websocket-clients 0");
    }
    SelfSignedCertificate cert = SelfSignedCertificate.generate();
    SSLContext serverCtx = cert.serverContext();
    SSLContext clientCtx = cert.trustingClientContext();
    LoopGroup serverLoops = LoopGroup.create(2);
    LoopGroup clientLoops = LoopGroup.create(2);
    long started = System.nanoTime();
    Progress progress = new Progress(System.err, "demo");
    try {
      List<DemoTable.Section> sections = new ArrayList<>();
      sections.add(run(serverCtx, clientCtx, serverLoops, clientLoops, progress));
      sections.add(NettyDemo.run(cert, httpsClients, webSocketClients, clientLoops, progress));
      sections.add(QuicDemo.run(cert, quicClients, serverLoops, progress));
      return print(sections, (System.nanoTime() - started) / 1_000_000);
    } finally {
      serverLoops.shutdown().block(WAIT);
      clientLoops.shutdown().block(WAIT);
    }
  }

  private DemoTable.Section run(
      SSLContext serverCtx,
      SSLContext clientCtx,
      LoopGroup serverLoops,
      LoopGroup clientLoops,
      Progress progress) {
    Progress.Phase connecting =
        progress.start(
            "graceful NIO TLS: server up, "
                + clients
                + " clients connect and send "
                + send
                + " bytes each");
    TlsServer server =
        TlsServer.bind(new InetSocketAddress("127.0.0.1", 0), serverCtx, serverLoops, e -> {})
            .block(WAIT);
    Map<Integer, Kind> kindByPort = new ConcurrentHashMap<>();
    Map<TlsConnection, Disposable> holding = new ConcurrentHashMap<>();
    // G2: every accepted connection is held open, the server reading, until it decides to close
    Mono<List<TlsConnection>> acceptedAll =
        server
            .connections()
            .take(clients)
            .doOnNext(
                c ->
                    holding.put(
                        c,
                        c.shutdown(
                                ShutdownSpec.bidirectional().waitPeer().noTimeout().discardUnread())
                            .subscribe(r -> {}, e -> {})))
            .collectList()
            .cache();
    acceptedAll.subscribe();

    List<TlsConnection> connected =
        Flux.range(0, clients)
            .flatMap(
                i -> TlsConnection.connect(server.address(), clientCtx, clientLoops, e -> {}), 32)
            .collectList()
            .block(WAIT);
    List<Mono<String>> clientEnds = new ArrayList<>();
    List<Mono<String>> closingFirst = new ArrayList<>();
    for (int i = 0; i < connected.size(); i++) {
      TlsConnection c = connected.get(i);
      Kind kind = i % 10 == 9 ? Kind.SILENT : i % 10 >= 7 ? Kind.CLOSES_FIRST : Kind.COOPERATIVE;
      kindByPort.put(localPort(c.connectionId()), kind);
      AtomicLong read = new AtomicLong();
      Mono<Void> sent = Traffic.sendZeros(c, send);
      Mono<String> end =
          switch (kind) {
            case COOPERATIVE ->
                sent.then(
                        c.shutdown(
                            ShutdownSpec.bidirectional()
                                .waitPeer()
                                .timeout(WAIT)
                                .readInto(b -> read.addAndGet(b.remaining()))))
                    .map(
                        r ->
                            r.outcome() == Outcome.COMPLETE && read.get() == send
                                ? "ok"
                                : "client saw " + r.outcome() + " after " + read.get() + " bytes");
            case CLOSES_FIRST ->
                sent.then(c.shutdown(ShutdownSpec.bidirectional().timeout(WAIT).discardUnread()))
                    .map(r -> r.outcome() == Outcome.COMPLETE ? "ok" : "client saw " + r.outcome());
            case SILENT -> sent.thenReturn("ok");
          };
      Mono<String> running =
          end.onErrorResume(e -> Mono.just("client error: " + Exceptions.unwrap(e).getMessage()))
              .cache();
      running.subscribe();
      clientEnds.add(running);
      if (kind == Kind.CLOSES_FIRST) {
        closingFirst.add(running);
      }
    }
    List<TlsConnection> accepted = acceptedAll.block(WAIT);
    // the clients that close first have been answered by the server before it starts its own round
    Flux.merge(closingFirst).blockLast(WAIT);
    connecting.end(
        accepted.size() + " accepted, " + closingFirst.size() + " closed first and were answered");

    // The graceful shutdown: G1 stop accepting, then every connection concurrently on its loop.
    Progress.Phase shutdown =
        progress.start(
            "graceful NIO TLS: graceful shutdown of "
                + accepted.size()
                + " connections (deadline "
                + timeout.toMillis()
                + " ms)");
    long shutdownStart = System.nanoTime();
    server.stopAccepting().block(WAIT);
    List<ServerSide> sides =
        Flux.fromIterable(List.copyOf(accepted))
            .flatMap(
                c -> endServerSide(c, holding.get(c), kindByPort.get(remotePort(c.connectionId()))),
                1024)
            .collectList()
            .block(WAIT);
    long shutdownMs = (System.nanoTime() - shutdownStart) / 1_000_000;
    shutdown.end();
    Progress.Phase checking = progress.start("graceful NIO TLS: what each client saw, release");
    List<String> clientVerdicts = Flux.concat(clientEnds).collectList().block(WAIT);
    Flux.fromIterable(connected)
        .concatWith(Flux.fromIterable(accepted))
        .flatMap(TlsConnection::release)
        .blockLast(WAIT);
    checking.end();

    return section(sides, clientVerdicts, shutdownMs);
  }

  private Mono<ServerSide> endServerSide(TlsConnection c, Disposable hold, Kind kind) {
    // Stop holding (a cancel keeps the state truthful), then end the connection: data in flight
    // first unless the peer already closed, then close_notify, then its answer by the deadline.
    hold.dispose();
    Mono<Void> inFlight = c.shutdownState().received() ? Mono.empty() : Traffic.sendZeros(c, send);
    return inFlight
        .then(c.shutdown(ShutdownSpec.bidirectional().timeout(timeout).discardUnread()))
        .map(r -> side(kind, r, null))
        .onErrorResume(
            e -> {
              ShutdownException s = TlsClientCommand.asShutdownError(e, c.connectionId());
              if (s.reason() != ShutdownException.Reason.TIMEOUT) {
                return Mono.just(side(kind, null, s));
              }
              // G4: the straggler is forced: our close_notify is already out, close the transport
              return c.shutdown(
                      ShutdownSpec.bidirectional().fast().closeTransport(TransportPolicy.CLOSE))
                  .map(
                      r ->
                          new ServerSide(
                              kind,
                              "FORCED",
                              kind == Kind.SILENT,
                              r.elapsed().toMillis() + timeout.toMillis()))
                  .onErrorResume(x -> Mono.just(side(kind, null, s)));
            });
  }

  private static ServerSide side(Kind kind, ShutdownResult r, ShutdownException e) {
    if (r == null) {
      return new ServerSide(kind, e.reason().name(), false, 0);
    }
    String ending = r.outcome() + "/" + r.initiator();
    boolean ok =
        switch (kind) {
          case COOPERATIVE -> ending.equals("COMPLETE/LOCAL");
          case CLOSES_FIRST -> ending.equals("COMPLETE/PEER");
          case SILENT -> false;
        };
    return new ServerSide(kind, ending, ok, r.elapsed().toMillis());
  }

  private DemoTable.Section section(
      List<ServerSide> sides, List<String> clientVerdicts, long shutdownMs) {
    Map<String, List<Duration>> byEnding = new TreeMap<>();
    List<String> problems = new ArrayList<>();
    for (ServerSide s : sides) {
      byEnding
          .computeIfAbsent(s.kind() + " " + s.ending(), k -> new ArrayList<>())
          .add(Duration.ofMillis(s.elapsedMs()));
      if (!s.ok()) {
        problems.add("tls: a " + s.kind() + " client ended " + s.ending());
      }
    }
    clientVerdicts.stream()
        .filter(v -> !v.equals("ok"))
        .forEach(v -> problems.add("tls client: " + v));
    if (sides.size() != clients) {
      problems.add("tls: " + sides.size() + " of " + clients + " connections ended");
    }
    List<DemoTable.Row> rows = new ArrayList<>();
    byEnding.forEach(
        (k, l) -> {
          String[] parts = k.split(" ");
          rows.add(
              new DemoTable.Row(
                  "graceful NIO TLS",
                  "bidirectional",
                  parts[0].toLowerCase(java.util.Locale.ROOT),
                  parts[1],
                  l.size(),
                  DemoTable.pct(l, 50),
                  DemoTable.pct(l, 99)));
        });
    return new DemoTable.Section("graceful NIO TLS", sides.size(), shutdownMs, rows, problems);
  }

  private static int print(List<DemoTable.Section> sections, long totalMs) {
    System.out.println();
    int connections = 0;
    List<String> problems = new ArrayList<>();
    for (DemoTable.Section s : sections) {
      System.out.printf(
          "%-20s %5d connections, all shut down in %5d ms%n",
          s.server(), s.connections(), s.shutdownMs());
      connections += s.connections();
      problems.addAll(s.problems());
    }
    System.out.println();
    System.out.printf(
        "%-20s %-14s %-18s %-26s %6s %8s %8s%n",
        "server", "mode", "clients", "server saw", "count", "p50 ms", "p99 ms");
    for (DemoTable.Section s : sections) {
      for (DemoTable.Row r : s.rows()) {
        System.out.printf(
            "%-20s %-14s %-18s %-26s %6d %8d %8d%n",
            r.server(), r.mode(), r.clients(), r.ending(), r.count(), r.p50Ms(), r.p99Ms());
      }
    }
    System.out.printf(
        "%nunexpected endings: %d%s%n",
        problems.size(),
        problems.isEmpty() ? "" : " " + problems.subList(0, Math.min(5, problems.size())));
    ObjectNode root = new ObjectMapper().createObjectNode();
    ObjectNode sum = root.putObject("summary");
    sum.put("connections", connections);
    sum.put("unexpected", problems.size());
    sum.put("totalMs", totalMs);
    ObjectNode per = sum.putObject("servers");
    for (DemoTable.Section s : sections) {
      ObjectNode o = per.putObject(s.server());
      o.put("connections", s.connections());
      o.put("shutdownMs", s.shutdownMs());
      ObjectNode endings = o.putObject("endings");
      s.rows().forEach(r -> endings.put(r.clients() + " " + r.ending(), r.count()));
    }
    System.out.println(root);
    return problems.isEmpty() ? Main.OK : Main.SHUTDOWN_ERROR;
  }

  private static int localPort(String id) {
    return port(id.substring(0, id.indexOf("->")));
  }

  private static int remotePort(String id) {
    return port(id.substring(id.indexOf("->") + 2));
  }

  private static int port(String hostPort) {
    return Integer.parseInt(hostPort.substring(hostPort.lastIndexOf(':') + 1));
  }
}
