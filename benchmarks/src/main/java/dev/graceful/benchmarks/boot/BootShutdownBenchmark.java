package dev.graceful.benchmarks.boot;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The Spring Boot sample under load at SIGTERM: thousands of open keep-alive connections, TLS and
 * cleartext, a hundred of them mid-request. Each run starts a fresh server process, opens the
 * connections, measures the server's heap before and after (after a full collection), starts the
 * in-flight requests, sends SIGTERM, and checks from the clients' side how every connection ended.
 */
@Command(
    name = "boot",
    mixinStandardHelpOptions = true,
    description = {
      "The Spring Boot sample (graceful starter) shutting down under open keep-alive connections.",
      "Target: the last connection closes within 1.2 x (in-flight request + one round trip) of SIGTERM,",
      "every TLS client received close_notify, every in-flight response arrived whole."
    })
public final class BootShutdownBenchmark implements Callable<Integer> {
  @Option(names = "--app", description = "the sample's jar (default ${DEFAULT-VALUE})")
  Path app = Path.of("samples/spring/target/graceful-spring-sample.jar");

  @Option(names = "--tls", description = "TLS connections (default ${DEFAULT-VALUE})")
  int tlsConnections = 1000;

  @Option(names = "--cleartext", description = "cleartext connections (default ${DEFAULT-VALUE})")
  int cleartextConnections = 1000;

  @Option(
      names = "--in-flight",
      description =
          "of those, requests in flight at SIGTERM, half each kind (default ${DEFAULT-VALUE})")
  int inFlight = 100;

  @Option(
      names = "--request-ms",
      description = "how long each in-flight request takes (default ${DEFAULT-VALUE})")
  int requestMs = 1000;

  @Option(
      names = "--runs",
      description = "server processes, one shutdown each (default ${DEFAULT-VALUE})")
  int runs = 3;

  @Option(
      names = "--compare-boot",
      description =
          "also run the same load against Boot's own server.shutdown=graceful (starter off)")
  boolean compareBoot;

  @Option(
      names = "--server-jvm",
      split = " ",
      description = "the server JVM's options (default ${DEFAULT-VALUE})")
  List<String> serverJvm = List.of("-XX:+UseG1GC", "-Xms512m", "-Xmx512m");

  @Option(
      names = "--client-threads",
      description = "the clients' event loops (default ${DEFAULT-VALUE})")
  int clientThreads = 1;

  private final ObjectMapper json = new ObjectMapper();

  @Override
  public Integer call() throws Exception {
    System.out.printf(
        Locale.ROOT,
        "%d TLS + %d cleartext keep-alive connections, %d in flight (%d ms each) at SIGTERM, %d run(s); java %s, %d cpus%n",
        tlsConnections,
        cleartextConnections,
        inFlight,
        requestMs,
        runs,
        System.getProperty("java.version"),
        Runtime.getRuntime().availableProcessors());
    boolean met = true;
    for (boolean starter : compareBoot ? List.of(true, false) : List.of(true)) {
      List<Run> results = new ArrayList<>();
      System.out.println(
          starter ? "graceful starter:" : "Boot's server.shutdown=graceful, starter off:");
      for (int i = 1; i <= runs; i++) {
        Run r = run(starter, i);
        System.out.println("  " + r.line());
        results.add(r);
      }
      System.out.println("  " + summary(results));
      if (starter) {
        met = results.stream().allMatch(Run::targetMet);
      }
    }
    System.out.println(met ? "target met" : "target NOT met");
    return met ? 0 : 1;
  }

  private Run run(boolean starter, int index) throws Exception {
    Path log =
        Files.createTempFile("graceful-boot-bench-" + (starter ? "starter" : "boot") + "-", ".log");
    try (SampleServer server = SampleServer.start(app, starter, serverJvm, log, 60_000);
        HttpLoad load = new HttpLoad(server.certificate(), clientThreads)) {
      InetSocketAddress tls = new InetSocketAddress("127.0.0.1", server.tlsPort());
      InetSocketAddress cleartext = new InetSocketAddress("127.0.0.1", server.cleartextPort());
      warmUp(load, tls, cleartext);

      long heapBefore = server.heapAfterGc();
      List<HttpLoad.Client> secure = load.open(tls, true, tlsConnections, 64, 120_000);
      List<HttpLoad.Client> plain = load.open(cleartext, false, cleartextConnections, 64, 120_000);
      long heapAfter = server.heapAfterGc();
      int connections = tlsConnections + cleartextConnections;
      double rttMs = roundTripMs(plain.get(plain.size() - 1));

      // the in-flight requests, half on each kind of connection
      List<CompletableFuture<HttpLoad.Response>> responses = new ArrayList<>();
      for (int i = 0; i < inFlight; i++) {
        List<HttpLoad.Client> from = i % 2 == 0 ? secure : plain;
        responses.add(from.get(i / 2).get("/slow?ms=" + requestMs));
      }
      // let them reach the handler before the signal (they then take requestMs more)
      TimeUnit.MILLISECONDS.sleep(Math.min(100, requestMs / 2));
      long firstSent = Long.MAX_VALUE;
      for (int i = 0; i < inFlight; i++) {
        firstSent = Math.min(firstSent, (i % 2 == 0 ? secure : plain).get(i / 2).sentNanos());
      }

      long sigterm = System.nanoTime();
      server.terminate();
      List<HttpLoad.Client> all = new ArrayList<>(secure);
      all.addAll(plain);
      List<HttpLoad.Client> busy = new ArrayList<>();
      for (int i = 0; i < inFlight; i++) {
        busy.add((i % 2 == 0 ? secure : plain).get(i / 2));
      }
      long lastClose = sigterm;
      long lastIdleClose = sigterm;
      List<Long> idleCloses = new ArrayList<>();
      for (HttpLoad.Client c : all) {
        long closedAt;
        try {
          closedAt = c.closed().get(60, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
          closedAt = Long.MAX_VALUE;
        }
        lastClose = Math.max(lastClose, closedAt);
        if (!busy.contains(c)) {
          lastIdleClose = Math.max(lastIdleClose, closedAt);
          idleCloses.add(closedAt);
        }
      }
      int exit = server.awaitExit(60_000);
      long exited = System.nanoTime();

      // whole in-flight responses, TLS (the main server) first, then cleartext (the extra
      // connector)
      int[] whole = new int[2];
      int withClose = 0;
      for (int i = 0; i < inFlight; i++) {
        CompletableFuture<HttpLoad.Response> f = responses.get(i);
        if (!f.isDone() || f.isCompletedExceptionally()) {
          continue;
        }
        HttpLoad.Response r = f.join();
        if (r.status() == 200 && r.body().equals("slow " + requestMs + "\n")) {
          whole[i % 2]++;
          if (r.connectionClose()) {
            withClose++;
          }
        }
      }
      int tlsClean = (int) secure.stream().filter(HttpLoad.Client::endedCleanly).count();
      int plainClean = (int) plain.stream().filter(HttpLoad.Client::endedCleanly).count();
      Map<String, Integer> errors = new TreeMap<>();
      for (HttpLoad.Client c : all) {
        if (c.error() != null) {
          errors.merge(c.error().getClass().getSimpleName(), 1, Integer::sum);
        }
      }
      double toLastCloseMs =
          lastClose == Long.MAX_VALUE ? Double.POSITIVE_INFINITY : (lastClose - sigterm) / 1e6;
      idleCloses.sort(null);
      double idleMedianMs =
          idleCloses.isEmpty() ? 0 : (idleCloses.get(idleCloses.size() / 2) - sigterm) / 1e6;
      double idleMs =
          lastIdleClose == Long.MAX_VALUE
              ? Double.POSITIVE_INFINITY
              : (lastIdleClose - sigterm) / 1e6;
      double sentBeforeSigtermMs = inFlight == 0 ? 0 : (sigterm - firstSent) / 1e6;
      return new Run(
          starter,
          index,
          connections,
          inFlight,
          requestMs,
          (heapAfter - heapBefore) / (double) connections,
          rttMs,
          toLastCloseMs,
          idleMedianMs,
          idleMs,
          sentBeforeSigtermMs,
          (exited - sigterm) / 1e6,
          exit,
          tlsClean,
          plainClean,
          whole[0],
          whole[1],
          withClose,
          errors,
          serverElapsedMs(server),
          log);
    }
  }

  /** Loads the server's request, TLS and HTTP paths before anything is measured. */
  private void warmUp(HttpLoad load, InetSocketAddress tls, InetSocketAddress cleartext)
      throws Exception {
    for (InetSocketAddress to : List.of(tls, cleartext)) {
      for (HttpLoad.Client c : load.open(to, to == tls, 50, 16, 60_000)) {
        c.get("/slow?ms=1").get(10, TimeUnit.SECONDS);
        c.get("/hello").get(10, TimeUnit.SECONDS);
        c.closeNow();
      }
    }
  }

  /** The median time of a {@code GET /hello} on an open connection: one round trip and a bit. */
  private static double roundTripMs(HttpLoad.Client c) throws Exception {
    double[] ms = new double[21];
    for (int i = 0; i < ms.length; i++) {
      long t = System.nanoTime();
      c.get("/hello").get(10, TimeUnit.SECONDS);
      ms[i] = (System.nanoTime() - t) / 1e6;
    }
    Arrays.sort(ms);
    return ms[ms.length / 2];
  }

  private double serverElapsedMs(SampleServer server) throws java.io.IOException {
    return server
        .summary()
        .map(
            line -> {
              try {
                JsonNode n = json.readTree(line);
                return n.path("elapsedMs").asDouble(Double.NaN);
              } catch (Exception e) {
                return Double.NaN;
              }
            })
        .orElse(Double.NaN);
  }

  private String summary(List<Run> results) {
    double[] close = results.stream().mapToDouble(Run::toLastCloseMs).sorted().toArray();
    double[] heap = results.stream().mapToDouble(Run::heapPerConnection).sorted().toArray();
    return String.format(
        Locale.ROOT,
        "SIGTERM to last close: min %.0f / median %.0f / max %.0f ms; heap per connection: min %.1f / median %.1f / max %.1f KiB",
        close[0],
        close[close.length / 2],
        close[close.length - 1],
        heap[0] / 1024,
        heap[heap.length / 2] / 1024,
        heap[heap.length - 1] / 1024);
  }

  /** One shutdown, seen from the clients. */
  private record Run(
      boolean starter,
      int index,
      int connections,
      int inFlight,
      int requestMs,
      double heapPerConnection,
      double rttMs,
      double toLastCloseMs,
      double idleMedianCloseMs,
      double toLastIdleCloseMs,
      double sentBeforeSigtermMs,
      double toExitMs,
      int exitCode,
      int tlsClean,
      int plainClean,
      int wholeTls,
      int wholeCleartext,
      int withConnectionClose,
      Map<String, Integer> errors,
      double serverElapsedMs,
      Path log) {

    /** The budget: the in-flight request's full duration and one round trip, plus a fifth. */
    double budgetMs() {
      return 1.2 * (requestMs + rttMs);
    }

    boolean targetMet() {
      return toLastCloseMs <= budgetMs() && clean();
    }

    /** Every client saw its connection end cleanly and every in-flight response whole. */
    boolean clean() {
      return errors.isEmpty()
          && wholeTls + wholeCleartext == inFlight
          && tlsClean + plainClean == connections;
    }

    String line() {
      return String.format(
          Locale.ROOT,
          "run %d: SIGTERM to last close %.0f ms (budget %.0f, first in-flight request sent %.0f ms before SIGTERM; "
              + "idle connections closed after median %.0f ms, all after %.0f ms), "
              + "server report %.0f ms, exit %d after %.0f ms; TLS closes with close_notify %d, cleartext clean closes %d, "
              + "in-flight responses whole %d TLS + %d cleartext (Connection: close on %d); errors %s; heap %.1f KiB/connection; "
              + "rtt %.2f ms; log %s",
          index,
          toLastCloseMs,
          budgetMs(),
          sentBeforeSigtermMs,
          idleMedianCloseMs,
          toLastIdleCloseMs,
          serverElapsedMs,
          exitCode,
          toExitMs,
          tlsClean,
          plainClean,
          wholeTls,
          wholeCleartext,
          withConnectionClose,
          errors,
          heapPerConnection / 1024,
          rttMs,
          log);
    }
  }
}
