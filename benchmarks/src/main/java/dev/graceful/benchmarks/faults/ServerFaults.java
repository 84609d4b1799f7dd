package dev.graceful.benchmarks.faults;

import dev.graceful.core.Outcome;
import dev.graceful.core.ServerShutdown;
import dev.graceful.core.ShutdownException.Reason;
import dev.graceful.core.ShutdownReport;
import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.tls.ChannelTransport;
import dev.graceful.tls.TlsConnection;
import dev.graceful.tls.TlsServer;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSocket;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Whole-server rows: a {@link TlsServer} shut down by {@link ServerShutdown} while its clients
 * misbehave (10 % silent, 10 % reset during the shutdown, 10 % flooding, the rest answering), and
 * while slow clients read a large response.
 */
final class ServerFaults {
  private final Campaign.Env env;
  private final int crowd;

  /**
   * @param crowd connections per server shutdown in the mixed row
   */
  ServerFaults(Campaign.Env env, int crowd) {
    this.env = env;
    this.crowd = crowd;
  }

  List<Scenario> scenarios() {
    return List.of(
        new Scenario(
            "TLSv1.3",
            "server",
            "shutdown of " + crowd + " conns",
            "graceful TLS clients",
            "answering: COMPLETE with every byte read; silent, flooding: forced (SENT) or"
                + " TIMEOUT; reset: TRANSPORT or TRUNCATED; the report within its deadline",
            1,
            3,
            this::mixed),
        new Scenario(
            "TLSv1.3",
            "server",
            "slow readers",
            "JDK SSLSocket clients",
            "COMPLETE with every byte read; forced (SENT) or TIMEOUT for the slowest",
            1,
            1.5,
            this::slowReaders));
  }

  private static int port(TlsConnection c, boolean remote) throws java.io.IOException {
    var ch = ((ChannelTransport) c.transport()).channel();
    return ((InetSocketAddress) (remote ? ch.getRemoteAddress() : ch.getLocalAddress())).getPort();
  }

  Verdict mixed(long seed) throws Exception {
    Random rnd = new Random(seed);
    int n = crowd;
    Duration timeout = Duration.ofMillis(2_000 + n);
    Duration deadline = timeout.plusSeconds(2);
    TlsServer server =
        TlsServer.bind(
                new InetSocketAddress("127.0.0.1", 0), env.certs.server(), env.loops, e -> {})
            .block(TlsPair.SETUP);
    Map<Integer, TlsConnection> byPort = new ConcurrentHashMap<>();
    Disposable accepting =
        server
            .connections()
            .subscribe(
                c -> {
                  try {
                    byPort.put(port(c, true), c);
                  } catch (java.io.IOException ignored) {
                    // closed already: the report names it all the same
                  }
                });
    List<TlsConnection> clients = java.util.Collections.synchronizedList(new ArrayList<>());
    List<Disposable> floods = new ArrayList<>();
    try {
      char[] kind = new char[n];
      for (int i = 0; i < n; i++) {
        int k = rnd.nextInt(10);
        kind[i] = k == 0 ? 's' : k == 1 ? 'r' : k == 2 ? 'f' : 'a';
        String only = System.getProperty("faults.kinds");
        if (only != null && only.indexOf(kind[i]) < 0) {
          kind[i] = 'a';
        }
      }
      // flooding clients share their loop with the answering ones: a flood must not hold up the
      // others' answers
      // each one kept as it comes, so that a failing connect leaves none unreleased
      Flux.range(0, n)
          .flatMapSequential(
              i ->
                  TlsConnection.connect(
                      server.address(), env.certs.client(), env.peerLoops, e -> {}),
              32)
          .doOnNext(clients::add)
          .blockLast(Duration.ofMinutes(10));
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (byPort.size() < n && System.nanoTime() < until) {
        Thread.sleep(10);
      }
      byte[] hello = Sink.payload(rnd, 1, 2048);
      Flux.fromIterable(byPort.values())
          .flatMap(c -> c.send(ByteBuffer.wrap(hello)), 64)
          .blockLast(Duration.ofMinutes(2));
      Map<Integer, Integer> clientByPort = new ConcurrentHashMap<>();
      Sink[] sinks = new Sink[n];
      List<Mono<ShutdownResult>> answers = new ArrayList<>();
      List<TlsConnection> resets = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        TlsConnection c = clients.get(i);
        clientByPort.put(port(c, false), i);
        switch (kind[i]) {
          case 'a' -> {
            sinks[i] = new Sink();
            answers.add(
                c.shutdown(
                        ShutdownSpec.bidirectional()
                            .waitPeer()
                            .timeout(deadline.plusSeconds(5))
                            .readInto(sinks[i]))
                    .onErrorResume(err -> Mono.empty()));
          }
          case 'f' -> {
            ByteBuffer chunk = ByteBuffer.allocate(16 * 1024);
            floods.add(
                Mono.defer(() -> c.send(chunk.duplicate())).repeat().subscribe(v -> {}, e -> {}));
          }
          case 'r' -> resets.add(c);
          default -> {
            // silent: never reads, never answers
          }
        }
      }
      List<Disposable> answering = new ArrayList<>();
      answers.forEach(a -> answering.add(a.subscribe()));
      ServerShutdown how =
          ServerShutdown.of(ShutdownSpec.bidirectional().timeout(timeout).discardUnread())
              .deadline(deadline);
      long t0 = System.nanoTime();
      var report = server.shutdown(how).toFuture();
      Thread.sleep(rnd.nextInt(20));
      for (TlsConnection c : resets) {
        ((ChannelTransport) c.transport()).channel().setOption(StandardSocketOptions.SO_LINGER, 0);
        c.release().subscribe(v -> {}, e -> {});
      }
      ShutdownReport r;
      try {
        r = report.get(deadline.plus(Ending.MARGIN).toMillis(), TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.TimeoutException e) {
        return Verdict.hung(
            "no report " + (System.nanoTime() - t0) / 1_000_000 + " ms after the start");
      } finally {
        answering.forEach(Disposable::dispose);
      }
      Map<String, Integer> clientOf = new ConcurrentHashMap<>();
      for (var e : byPort.entrySet()) {
        Integer i = clientByPort.get(e.getKey());
        if (i != null) {
          clientOf.put(e.getValue().connectionId(), i);
        }
      }
      Verdict v = Verdict.ok("report: " + summary(r));
      if (r.connections() != n) {
        v = v.and("the report names " + r.connections() + " of " + n + " connections");
      }
      long lost = 0;
      int bad = 0;
      String firstBad = null;
      for (ShutdownReport.Entry e : r.entries()) {
        Integer i = clientOf.get(e.connectionId());
        if (i == null) {
          continue;
        }
        String why = judge(kind[i], e);
        if (why == null && kind[i] == 'a' && e.result().isPresent()) {
          lost += Math.max(0, hello.length - sinks[i].count());
          why = sinks[i].prefixOf(hello);
        }
        if (why != null) {
          bad++;
          firstBad = firstBad == null ? why : firstBad;
        }
      }
      if (bad > 0) {
        v = v.and(bad + " of " + n + " connections ended unexpectedly, first: " + firstBad);
      }
      return v.lost(lost, "answering clients lacked " + lost + " bytes of a COMPLETE exchange");
    } finally {
      accepting.dispose();
      floods.forEach(Disposable::dispose);
      Flux.fromIterable(clients)
          .concatWith(Flux.fromIterable(byPort.values()))
          .flatMap(c -> c.release().onErrorResume(err -> Mono.empty()), 256)
          .blockLast(Duration.ofMinutes(2));
      server.stopAccepting().block(TlsPair.SETUP);
    }
  }

  private static String summary(ShutdownReport r) {
    StringBuilder b = new StringBuilder();
    r.outcomes().forEach((k, n) -> b.append(k).append(' ').append(n).append(' '));
    r.errors().forEach((k, n) -> b.append(k).append(' ').append(n).append(' '));
    return b.toString().trim();
  }

  private static String judge(char kind, ShutdownReport.Entry e) {
    ShutdownResult r = e.result().orElse(null);
    Reason reason = e.error().map(x -> x.reason()).orElse(null);
    String what =
        r != null ? r.outcome().name() + (e.forced() ? " (forced)" : "") : String.valueOf(reason);
    switch (kind) {
      case 'a':
        return r != null && r.outcome() == Outcome.COMPLETE && !e.forced()
            ? null
            : "an answering client ended " + what;
      case 's':
      case 'f':
        if (r != null && r.outcome() == Outcome.SENT && e.forced()) {
          return null;
        }
        return reason == Reason.TIMEOUT
            ? null
            : (kind == 's' ? "a silent" : "a flooding") + " client ended " + what;
      default:
        if (reason == Reason.TRANSPORT || reason == Reason.TRUNCATED) {
          return null;
        }
        return "a reset client ended " + what;
    }
  }

  Verdict slowReaders(long seed) throws Exception {
    Random rnd = new Random(seed);
    int n = 6;
    byte[] response = Sink.payload(rnd, 64 * 1024, 256 * 1024);
    Duration timeout = Duration.ofSeconds(2);
    Duration deadline = Duration.ofSeconds(3);
    TlsServer server =
        TlsServer.bind(
                new InetSocketAddress("127.0.0.1", 0), env.certs.server(), env.loops, e -> {})
            .block(TlsPair.SETUP);
    Map<Integer, TlsConnection> byPort = new ConcurrentHashMap<>();
    Disposable accepting =
        server
            .connections()
            .subscribe(
                c -> {
                  try {
                    byPort.put(port(c, true), c);
                  } catch (java.io.IOException ignored) {
                    // closed already
                  }
                });
    List<Socket> sockets = new ArrayList<>();
    List<Future<Long>> readers = new ArrayList<>();
    Map<Integer, Integer> indexByPort = new ConcurrentHashMap<>();
    try {
      for (int i = 0; i < n; i++) {
        SSLSocket s =
            (SSLSocket)
                env.certs
                    .client()
                    .getSocketFactory()
                    .createSocket("127.0.0.1", server.address().getPort());
        s.startHandshake();
        sockets.add(s);
        indexByPort.put(s.getLocalPort(), i);
        int pause =
            rnd.nextInt(4) == 0 ? 40 + rnd.nextInt(80) : rnd.nextInt(8); // the slowest: forced
        readers.add(
            env.peers.submit(
                () -> {
                  long got = 0;
                  byte[] buf = new byte[4096];
                  try {
                    InputStream in = s.getInputStream();
                    int k;
                    while ((k = in.read(buf)) >= 0) {
                      got += k;
                      Thread.sleep(pause);
                    }
                    s.close(); // answers the server's close_notify
                  } catch (java.io.IOException ended) {
                    // reset or closed
                  }
                  return got;
                }));
      }
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (byPort.size() < n && System.nanoTime() < until) {
        Thread.sleep(5);
      }
      Map<String, long[]> written = new ConcurrentHashMap<>();
      for (TlsConnection c : byPort.values()) {
        long[] w = new long[1];
        written.put(c.connectionId(), w);
        c.send(ByteBuffer.wrap(response))
            .subscribe(v -> {}, err -> {}, () -> w[0] = response.length);
      }
      Thread.sleep(rnd.nextInt(50));
      ServerShutdown how =
          ServerShutdown.of(ShutdownSpec.bidirectional().timeout(timeout).discardUnread())
              .deadline(deadline);
      long t0 = System.nanoTime();
      ShutdownReport r;
      try {
        r =
            server
                .shutdown(how)
                .toFuture()
                .get(deadline.plus(Ending.MARGIN).toMillis(), TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.TimeoutException e) {
        return Verdict.hung(
            "no report " + (System.nanoTime() - t0) / 1_000_000 + " ms after the start");
      }
      Verdict v = Verdict.ok("report: " + summary(r));
      if (r.connections() != n) {
        v = v.and("the report names " + r.connections() + " of " + n + " connections");
      }
      Map<String, Integer> index = new ConcurrentHashMap<>();
      for (var e : byPort.entrySet()) {
        index.put(e.getValue().connectionId(), indexByPort.getOrDefault(e.getKey(), -1));
      }
      for (ShutdownReport.Entry e : r.entries()) {
        ShutdownResult res = e.result().orElse(null);
        if (res != null && res.outcome() == Outcome.COMPLETE) {
          int i = index.getOrDefault(e.connectionId(), -1);
          long got =
              i < 0 ? 0 : readers.get(i).get(TlsPair.SETUP.toMillis(), TimeUnit.MILLISECONDS);
          long sent = written.get(e.connectionId())[0];
          v =
              v.lost(
                  sent - got, "COMPLETE but a slow reader got " + got + " of " + sent + " bytes");
        } else if (res != null && !(res.outcome() == Outcome.SENT && e.forced())) {
          v = v.and("unexpected result " + res);
        } else if (res == null
            && e.error().get().reason() != Reason.TIMEOUT
            && e.error().get().reason() != Reason.TRANSPORT) {
          v = v.and("unexpected error " + e.error().get());
        }
      }
      return v;
    } finally {
      accepting.dispose();
      for (Socket s : sockets) {
        try {
          s.close();
        } catch (java.io.IOException ignored) {
          // closed
        }
      }
      Flux.fromIterable(byPort.values())
          .flatMap(c -> c.release().onErrorResume(err -> Mono.empty()))
          .blockLast(Duration.ofMinutes(1));
      server.stopAccepting().block(TlsPair.SETUP);
    }
  }
}
