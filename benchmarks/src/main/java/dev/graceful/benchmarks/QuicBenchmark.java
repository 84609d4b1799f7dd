package dev.graceful.benchmarks;

import dev.graceful.core.LoopGroup;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.quic.QuicConnection;
import dev.graceful.quic.QuicOptions;
import dev.graceful.quic.internal.KwikInternals;
import dev.graceful.testkit.SelfSignedCertificate;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import tech.kwik.core.QuicStream;
import tech.kwik.core.server.ApplicationProtocolConnection;
import tech.kwik.core.server.ServerConnectionConfig;
import tech.kwik.core.server.ServerConnector;

/**
 * QUIC on graceful's two stacks, Kwik and Netty's codec, loopback, one JVM, against the same
 * in-process Kwik peer: rapid close latency against each stack's own close, RFC close duration
 * against 3×PTO, the time to drain 2 MB against the time an application-level acknowledgement
 * takes, CPU per close, and a fresh JVM's first rapid close.
 */
@Command(
    name = "quic",
    mixinStandardHelpOptions = true,
    description =
        "QUIC close latencies on graceful's two QUIC stacks, Kwik and Netty's codec, side by side"
            + " against one in-process Kwik peer (loopback).")
final class QuicBenchmark implements Callable<Integer> {
  @Option(names = "--rapid", description = "rapid closes to time (default 300)")
  int rapidRuns = 300;

  @Option(names = "--rfc", description = "RFC closes to time (default 50)")
  int rfcRuns = 50;

  @Option(names = "--drain", description = "2 MB drains of each kind (default 15)")
  int drainRuns = 15;

  @Option(names = "--size", description = "bytes per drain (default 2000000)")
  int size = 2_000_000;

  @Option(names = "--warmup", description = "untimed connections first (default 30)")
  int warmup = 30;

  @Option(
      names = "--settle",
      description =
          "ms between the handshake and a timed rapid or Kwik close (default 0: at once, while both sides still"
              + " finish the handshake's tail: acknowledgements, HANDSHAKE_DONE, new tokens)")
  int settleMs = 0;

  @Option(
      names = "--no-close-threads-ahead",
      description =
          "wrap connections with QuicOptions.closeThreads(AT_CLOSE): Kwik's close() starts its two threads itself")
  boolean noCloseThreadsAhead;

  @Option(
      names = "--idle",
      description =
          "instead of the timings: open this many wrapped client connections and print the threads and resident"
              + " memory they added (run with -XX:+AlwaysPreTouch and a fixed heap, so the heap's pages do not count)")
  int idle;

  @Option(
      names = "--stacks",
      split = ",",
      paramLabel = "STACK",
      description =
          "QUIC stacks to measure side by side against the same peer: kwik (graceful's QuicConnection), netty"
              + " (graceful's NettyQuicConnection on Netty's QUIC codec); default kwik,netty")
  List<String> stackNames = List.of("kwik", "netty");

  @Option(
      names = "--cpu",
      description =
          "connections per CPU batch: each stack's rapid and own closes, process CPU per close (default 100; 0"
              + " skips)")
  int cpuCloses = 100;

  @Option(
      names = "--first-close",
      paramLabel = "N",
      description =
          "also run N fresh JVMs per stack, interleaved, each timing its first rapid close (call to SENT)"
              + " after the handshake, and N more timing the stack's own first close (default 0)")
  int firstCloseRuns;

  @Option(names = "--verbose", description = "print every drain")
  boolean verbose;

  @Option(
      names = "--json",
      paramLabel = "FILE",
      description =
          "also write every figure printed, each timed close, the machine, the JVM and this command line to FILE, as JSON (see BENCHMARKS.md)")
  java.nio.file.Path json;

  @Option(
      names = "--plot",
      paramLabel = "DIR",
      description =
          "draw quic-ratios.png (rapid over Kwik's close, pair by pair; drain over application ack, round by round) and quic-latency.png (percentiles of each kind of close) into DIR")
  java.nio.file.Path plot;

  @Spec CommandSpec spec;

  private static final Duration WAIT = QuicStack.WAIT;
  private LoopGroup loops;
  private int port;

  /** A fresh JVM's first rapid close should reach SENT within this, after the handshake. */
  static final double FIRST_CLOSE_TARGET_MS = 10;

  /** A steady-state rapid close's p99 should stay under this. */
  static final double RAPID_P99_TARGET_MS = 2;

  /** An RFC close should end within 3×PTO and this. */
  static final double RFC_OVER_3PTO_TARGET_MS = 10;

  /** How long a --first-close child JVM may take before it is killed. */
  private static final Duration CHILD_TIMEOUT = Duration.ofSeconds(60);

  /** CPU batches: the handshakes' tails end before this; then the rest window; then the tail. */
  private static final long CPU_SETTLE_MS = 300;

  private static final long CPU_REST_MS = 1000;
  private static final long CPU_TAIL_MS = 300;

  /** One stack's figures as they are taken; NaN where a measurement failed. */
  private final class Run {
    final QuicStack stack;
    final double[] rapid = nan(rapidRuns);
    final double[] raw = nan(rapidRuns);
    final boolean[] rapidGc = new boolean[rapidRuns];
    final boolean[] rawGc = new boolean[rapidRuns];
    final double[] rfcElapsed = nan(rfcRuns);
    final double[] rfcPto3 = nan(rfcRuns);
    final double[] rfcOver = nan(rfcRuns);
    final double[] silentPto3 = nan(Math.max(1, rfcRuns / 5));
    final double[] silentOver = nan(silentPto3.length);
    final double[] drained = nan(drainRuns);
    final double[] acked = nan(drainRuns);
    final double[] hooked = nan(drainRuns);
    double cpuRapid = Double.NaN;
    double cpuNative = Double.NaN;
    final double[] firstClose = nan(firstCloseRuns);
    final double[] firstCloseClasses = nan(firstCloseRuns);
    final double[] firstOwnClose = nan(firstCloseRuns);
    final double[] firstOwnCloseClasses = nan(firstCloseRuns);
    final List<String> firstCloseErrors = new ArrayList<>();
    final Map<String, int[]> failed = new LinkedHashMap<>();
    final Map<String, String> firstError = new LinkedHashMap<>();
    final Map<String, Integer> attempted = new LinkedHashMap<>();

    Run(QuicStack stack) {
      this.stack = stack;
    }

    /** Runs one measurement; a failure is counted and gives NaN, never a figure. */
    double attempt(String measure, Callable<Double> m) {
      attempted.merge(measure, 1, Integer::sum);
      try {
        return m.call();
      } catch (Exception | AssertionError e) {
        failed.computeIfAbsent(measure, k -> new int[1])[0]++;
        firstError.putIfAbsent(measure, String.valueOf(e));
        return Double.NaN;
      }
    }

    QuicStack.Timed timed(String measure, Callable<QuicStack.Timed> m) {
      QuicStack.Timed[] t = {new QuicStack.Timed(Double.NaN, false)};
      attempt(
          measure,
          () -> {
            t[0] = m.call();
            return t[0].ms();
          });
      return t[0];
    }

    Map<String, String> failures() {
      Map<String, String> f = new LinkedHashMap<>();
      failed.forEach(
          (k, v) ->
              f.put(k, v[0] + " of " + attempted.get(k) + " failed, first: " + firstError.get(k)));
      return f;
    }

    int ackAttempts() {
      return attempted.getOrDefault("application ack", 0)
          + attempted.getOrDefault("warm-up application ack", 0);
    }
  }

  private static double[] nan(int n) {
    double[] a = new double[n];
    Arrays.fill(a, Double.NaN);
    return a;
  }

  @Override
  public Integer call() throws Exception {
    System.setProperty("tech.kwik.core.no-security-warnings", "true");
    reactor.core.publisher.Hooks.onErrorDropped(e -> {}); // reads cut short by a close
    for (String name : stackNames) {
      if (!List.of("kwik", "netty").contains(name)) {
        throw new picocli.CommandLine.ParameterException(
            spec.commandLine(), "--stacks: no stack " + name + " (kwik, netty)");
      }
    }
    loops = LoopGroup.create(1);
    ServerConnector server = startServer();
    List<Run> runs = new ArrayList<>();
    try {
      System.out.printf(
          "# %s, %s, Kwik internals %s%n",
          System.getProperty("java.vm.name"),
          System.getProperty("java.version"),
          KwikInternals.available()
              ? "available"
              : "unavailable: " + KwikInternals.unavailableReason().orElse(""));
      if (idle > 0) {
        return idleCost();
      }
      QuicStack.Config config = new QuicStack.Config(port, size, settleMs, verbose);
      for (String name : new java.util.LinkedHashSet<>(stackNames)) {
        try {
          runs.add(new Run(QuicStack.of(name, config, loops, options())));
        } catch (Exception | LinkageError e) {
          System.out.printf("# %s: cannot be measured here: %s%n", name, e);
        }
      }
      if (runs.isEmpty()) {
        return 1;
      }
      System.out.printf(
          "# stacks %s, all against the same in-process Kwik peer on 127.0.0.1:%d, interleaved round by"
              + " round%n",
          runs.stream().map(r -> r.stack.name()).toList(), port);
      measure(runs);
      for (Run r : runs) {
        print(r);
      }
      printSideBySide(runs);
      List<QuicResults.Stack> stacks = runs.stream().map(this::results).toList();
      QuicResults results =
          QuicResults.of(
              stacks,
              System.getProperty("java.vm.name"),
              KwikInternals.available(),
              noCloseThreadsAhead ? "AT_CLOSE" : "AHEAD",
              settleMs,
              warmup,
              size,
              firstCloseRuns);
      if (json != null) {
        Json.write(
            json,
            Json.Document.now("quic", spec.commandLine().getParseResult().originalArgs(), results));
        System.err.println("quic: results written to " + json);
      }
      if (plot != null) {
        results.plot(plot);
        System.err.println("quic: charts drawn in " + plot);
      }
      return runs.stream().allMatch(r -> r.failed.isEmpty() && r.firstCloseErrors.isEmpty())
          ? 0
          : 1;
    } finally {
      for (Run r : runs) {
        r.stack.close();
      }
      server.close();
      loops.shutdown().block(WAIT);
    }
  }

  /** Every measurement, the stacks interleaved round by round so drift hits them alike. */
  private void measure(List<Run> runs) {
    Progress warming = Progress.everySecond("quic warm-up", warmup);
    for (int i = 0; i < warmup; i++) {
      for (Run r : runs) {
        r.timed("warm-up rapid close", r.stack::rapidOnce);
        if (i % 10 == 0) {
          r.attempt("warm-up drain", () -> r.stack.drainOnce(false));
          r.attempt("warm-up application ack", r.stack::ackOnce);
        }
      }
      warming.step("");
    }
    Progress pairs = Progress.everySecond("quic rapid and native close pairs", rapidRuns);
    for (int i = 0; i < rapidRuns; i++) { // each interleaved with the stack's own close
      for (Run r : runs) {
        QuicStack.Timed a = r.timed("rapid close", r.stack::rapidOnce);
        r.rapid[i] = a.ms();
        r.rapidGc[i] = a.collected();
        QuicStack.Timed b = r.timed("native close", r.stack::nativeCloseOnce);
        r.raw[i] = b.ms();
        r.rawGc[i] = b.collected();
      }
      pairs.step("");
    }
    Progress rfcs = Progress.everySecond("quic RFC closes", rfcRuns);
    for (int i = 0; i < rfcRuns; i++) {
      for (Run r : runs) {
        double[] e = {Double.NaN, Double.NaN};
        r.attempt(
            "RFC close",
            () -> {
              double[] got = r.stack.rfcOnce();
              System.arraycopy(got, 0, e, 0, 2);
              return got[0];
            });
        r.rfcElapsed[i] = e[0];
        r.rfcPto3[i] = e[1];
        r.rfcOver[i] = e[0] - e[1];
      }
      rfcs.step("");
    }
    int silent = runs.get(0).silentOver.length;
    Progress silences = Progress.everySecond("quic RFC closes into silence", silent);
    for (int i = 0; i < silent; i++) {
      for (Run r : runs) {
        double[] e = {Double.NaN, Double.NaN};
        r.attempt(
            "RFC close into silence",
            () -> {
              double[] got = r.stack.rfcIntoSilence();
              System.arraycopy(got, 0, e, 0, 2);
              return got[0];
            });
        r.silentPto3[i] = e[1];
        r.silentOver[i] = e[0] - e[1];
      }
      silences.step("");
    }
    Progress drains = Progress.everyStep("quic drain rounds", drainRuns);
    for (int i = 0; i < drainRuns; i++) { // interleaved, so drift hits all three alike
      for (Run r : runs) {
        r.drained[i] = r.attempt("drain", () -> r.stack.drainOnce(false));
        r.acked[i] = r.attempt("application ack", r.stack::ackOnce);
        r.hooked[i] = r.attempt("drain with acknowledgedBy", () -> r.stack.drainOnce(true));
      }
      drains.step("drain, application ack, drain with acknowledgedBy, per stack");
    }
    if (cpuCloses > 0) {
      Progress cpu = Progress.everyStep("quic CPU batches", 2 * runs.size());
      for (boolean rapid : new boolean[] {true, false}) {
        for (Run r : runs) {
          double ms =
              r.attempt(
                  rapid ? "CPU batch, rapid close" : "CPU batch, native close",
                  () -> cpuPerClose(r.stack, rapid));
          if (rapid) {
            r.cpuRapid = ms;
          } else {
            r.cpuNative = ms;
          }
          cpu.step(r.stack.name() + (rapid ? " rapid" : " native"));
        }
      }
    }
    if (firstCloseRuns > 0) {
      Progress children = Progress.everyStep("quic first close, fresh JVMs", firstCloseRuns);
      for (int i = 0; i < firstCloseRuns; i++) {
        for (Run r : runs) {
          QuicFirstClose.Child c =
              QuicFirstClose.run(
                  r.stack.name(), port, settleMs, noCloseThreadsAhead, false, CHILD_TIMEOUT);
          r.firstClose[i] = c.ms();
          r.firstCloseClasses[i] = c.classes();
          if (c.error() != null) {
            r.firstCloseErrors.add("JVM " + (i + 1) + ": " + c.error());
          }
          // the stack's own first close, in a JVM of its own: the floor graceful's stands on
          QuicFirstClose.Child o =
              QuicFirstClose.run(
                  r.stack.name(), port, settleMs, noCloseThreadsAhead, true, CHILD_TIMEOUT);
          r.firstOwnClose[i] = o.ms();
          r.firstOwnCloseClasses[i] = o.classes();
          if (o.error() != null) {
            r.firstCloseErrors.add("JVM " + (i + 1) + " (own close): " + o.error());
          }
        }
        children.step("two child JVMs per stack");
      }
    }
  }

  private static double processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean)
            java.lang.management.ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  /**
   * CPU per close: --cpu connections opened ahead, their handshakes over, the process's CPU at rest
   * over a window, then over the closes and a tail for what they left to other threads.
   *
   * @return ms of process CPU per close, the in-process peer's included
   */
  private double cpuPerClose(QuicStack stack, boolean rapid) throws Exception {
    List<QuicStack.Opened> open = new ArrayList<>();
    try {
      for (int i = 0; i < cpuCloses; i++) {
        open.add(stack.open(rapid));
      }
      Thread.sleep(CPU_SETTLE_MS);
      double c0 = processCpuNanos();
      long w0 = System.nanoTime();
      Thread.sleep(CPU_REST_MS);
      double c1 = processCpuNanos();
      long w1 = System.nanoTime();
      for (QuicStack.Opened o : open) {
        o.close();
      }
      Thread.sleep(CPU_TAIL_MS);
      double c2 = processCpuNanos();
      long w2 = System.nanoTime();
      return QuicSummary.cpuPerCloseMs(
          (long) (c2 - c1), w2 - w1, (long) (c1 - c0), w1 - w0, open.size());
    } finally {
      for (QuicStack.Opened o : open) {
        o.release();
      }
    }
  }

  /** One stack's block. */
  private void print(Run r) {
    QuicStack s = r.stack;
    System.out.printf("== %s: %s ==%n", s.name(), s.description());
    System.out.printf(
        "# rapid and native closes %s%s%n",
        settleMs > 0 ? settleMs + " ms after the handshake" : "right after the handshake",
        s.name().equals("kwik")
            ? "; Kwik's close threads started "
                + (noCloseThreadsAhead ? "by the close" : "when graceful wraps the connection")
            : "");
    Stats rs = new Stats(QuicSummary.known(r.rapid));
    Stats ks = new Stats(QuicSummary.known(r.raw));
    System.out.printf(
        "rapid close (subscribe to SENT), n=%d: p50 %s ms, p99 %s ms, max %s ms%n",
        rs.n(), f(rs.median(), 3), f(rs.p(99), 3), f(rs.max(), 3));
    System.out.printf(
        "%s, n=%d: p50 %s ms, p99 %s ms, max %s ms%n",
        s.nativeClose(), ks.n(), f(ks.median(), 3), f(ks.p(99), 3), f(ks.max(), 3));
    System.out.printf(
        "closes during which the JVM collected garbage: rapid %d of %d, native %d of %d; without them:"
            + " rapid p99 %s ms, native p99 %s ms%n",
        count(r.rapidGc),
        rapidRuns,
        count(r.rawGc),
        rapidRuns,
        f(new Stats(QuicSummary.known(without(r.rapid, r.rapidGc))).p(99), 3),
        f(new Stats(QuicSummary.known(without(r.raw, r.rawGc))).p(99), 3));
    Stats so = new Stats(QuicSummary.known(r.silentOver));
    System.out.printf(
        "RFC close, peer silent after the handshake (full closing period), n=%d: 3xPTO p50 %s ms;"
            + " elapsed - 3xPTO: p50 %s ms, max %s ms%n",
        so.n(),
        f(new Stats(QuicSummary.known(r.silentPto3)).median(), 1),
        f(so.median(), 2),
        f(so.max(), 2));
    Stats re = new Stats(QuicSummary.known(r.rfcElapsed));
    Stats rp = new Stats(QuicSummary.known(r.rfcPto3));
    Stats ro = new Stats(QuicSummary.known(r.rfcOver));
    System.out.printf(
        "RFC close (subscribe to COMPLETE), n=%d: p50 %s ms, max %s ms; 3xPTO p50 %s ms; elapsed -"
            + " 3xPTO: p50 %s ms, max %s ms%n",
        re.n(),
        f(re.median(), 2),
        f(re.max(), 2),
        f(rp.median(), 2),
        f(ro.median(), 2),
        f(ro.max(), 2));
    System.out.printf("3xPTO: %s%n", s.ptoSource());
    Stats d = new Stats(QuicSummary.known(r.drained));
    Stats a = new Stats(QuicSummary.known(r.acked));
    Stats h = new Stats(QuicSummary.known(r.hooked));
    System.out.printf(
        "drain %d bytes (write start to CONNECTION_CLOSE), n=%d: graceful drain p50 %s ms (max %s);"
            + " application ack p50 %s ms (max %s); drain with acknowledgedBy p50 %s ms%n",
        size,
        d.n(),
        f(d.median(), 1),
        f(d.max(), 1),
        f(a.median(), 1),
        f(a.max(), 1),
        f(h.median(), 1));
    if (s.name().equals("netty")) {
      System.out.println(
          "# netty: the drained stream is concluded (FIN) once quiche has taken its bytes: Netty's"
              + " codec proves delivery only for a concluded stream quiche released");
    }
    System.out.printf(
        "application acks that never came (nothing restarted the stack's own stream within %d s): %d"
            + " of %d%n",
        QuicStack.ACK_DEADLINE.toSeconds(), s.ackStalls(), r.ackAttempts());
    if (cpuCloses > 0) {
      System.out.printf(
          "CPU per close (process CPU, the in-process Kwik peer included, less the process at rest),"
              + " %d closes per batch: rapid %s ms, native %s ms%n",
          cpuCloses, f(r.cpuRapid, 3), f(r.cpuNative, 3));
    }
    if (firstCloseRuns > 0) {
      System.out.printf(
          "first rapid close in a fresh JVM (call to SENT, after the handshake), %d JVMs: min / median"
              + " / max %s ms (target %s ms)%n",
          firstCloseRuns, QuicSummary.range(r.firstClose, 2), f(FIRST_CLOSE_TARGET_MS, 0));
      System.out.printf(
          "  classes the JVM loaded during that close (every thread), min / median / max: %s%n",
          QuicSummary.range(r.firstCloseClasses, 0));
      System.out.printf(
          "the stack's own first close in a fresh JVM (%s), %d JVMs: min / median / max %s ms;"
              + " classes loaded %s%n",
          r.stack.nativeClose(),
          firstCloseRuns,
          QuicSummary.range(r.firstOwnClose, 2),
          QuicSummary.range(r.firstOwnCloseClasses, 0));
      for (String e : r.firstCloseErrors) {
        System.out.printf("  first close failed: %s%n", e);
      }
    }
    r.failures().forEach((k, v) -> System.out.printf("FAILED %s: %s%n", k, v));
  }

  /** One line per measure, the stacks side by side. */
  private void printSideBySide(List<Run> runs) {
    System.out.printf(
        "== side by side: %s, same peer ==%n",
        String.join(" | ", runs.stream().map(r -> r.stack.name()).toList()));
    line(
        runs,
        "rapid close to SENT, p50 / p99 / max ms (steady-state target: p99 under "
            + f(RAPID_P99_TARGET_MS, 0)
            + " ms)",
        r -> QuicSummary.percentiles(r.rapid, 3));
    line(runs, "own close, p50 / p99 / max ms", r -> QuicSummary.percentiles(r.raw, 3));
    line(
        runs,
        "RFC close - 3xPTO, answering peer, p50 / max ms (below 0: the peer's CONNECTION_CLOSE ended"
            + " the closing period early)",
        r -> QuicSummary.medianAndMax(r.rfcOver, 2));
    line(
        runs,
        "RFC close - 3xPTO, silent peer, p50 / max ms (target: at most "
            + f(RFC_OVER_3PTO_TARGET_MS, 0)
            + " ms)",
        r -> QuicSummary.medianAndMax(r.silentOver, 2));
    line(
        runs,
        "drain " + size + " B / application ack, medians",
        r ->
            f(QuicSummary.ratioOfMedians(r.drained, r.acked), 2)
                + " ("
                + f(new Stats(QuicSummary.known(r.drained)).median(), 1)
                + " / "
                + f(new Stats(QuicSummary.known(r.acked)).median(), 1)
                + " ms)");
    if (cpuCloses > 0) {
      line(
          runs,
          "CPU per close, rapid / own close, ms (process CPU, the in-process peer included)",
          r -> f(r.cpuRapid, 3) + " / " + f(r.cpuNative, 3));
    }
    if (firstCloseRuns > 0) {
      line(
          runs,
          "first rapid close in a fresh JVM, min / median / max ms (target: "
              + f(FIRST_CLOSE_TARGET_MS, 0)
              + " ms)",
          r -> QuicSummary.range(r.firstClose, 2));
      line(
          runs,
          "classes loaded during the first close, min / median / max",
          r -> QuicSummary.range(r.firstCloseClasses, 0));
      line(
          runs,
          "the stack's own first close in a fresh JVM, min / median / max ms",
          r -> QuicSummary.range(r.firstOwnClose, 2));
    }
    Run k = runs.stream().filter(r -> r.stack.name().equals("kwik")).findFirst().orElse(null);
    StringBuilder summary = new StringBuilder("summary:");
    for (Run r : runs) {
      String p = r == k ? "" : r.stack.name() + ".";
      Stats rs = new Stats(QuicSummary.known(r.rapid));
      summary.append(
          String.format(
              java.util.Locale.ROOT,
              " %srapidP50Ms=%s %srapidP99Ms=%s %s%sCloseP99Ms=%s %ssilentRfcMinus3PtoMaxMs=%s"
                  + " %sdrain/appAck=%s %sappAckStalls=%d",
              p,
              f(rs.median(), 3),
              p,
              f(rs.p(99), 3),
              p,
              r == k ? "kwik" : "native",
              f(new Stats(QuicSummary.known(r.raw)).p(99), 3),
              p,
              f(new Stats(QuicSummary.known(r.silentOver)).max(), 2),
              p,
              f(QuicSummary.ratioOfMedians(r.drained, r.acked), 2),
              p,
              r.stack.ackStalls()));
    }
    System.out.println(summary);
  }

  private static void line(
      List<Run> runs, String label, java.util.function.Function<Run, String> cell) {
    List<String[]> cells = new ArrayList<>();
    for (Run r : runs) {
      cells.add(new String[] {r.stack.name(), cell.apply(r)});
    }
    System.out.println(QuicSummary.sideBySide(label, cells));
  }

  private static String f(double v, int digits) {
    return QuicSummary.format(v, digits);
  }

  private QuicResults.Stack results(Run r) {
    Stats d = new Stats(QuicSummary.known(r.drained));
    Stats a = new Stats(QuicSummary.known(r.acked));
    return new QuicResults.Stack(
        r.stack.name(),
        r.stack.description(),
        r.stack.nativeClose(),
        r.stack.ptoSource(),
        QuicResults.Sample.of(r.rapid),
        QuicResults.Sample.of(r.raw),
        count(r.rapidGc),
        count(r.rawGc),
        Json.number(new Stats(QuicSummary.known(without(r.rapid, r.rapidGc))).p(99)),
        Json.number(new Stats(QuicSummary.known(without(r.raw, r.rawGc))).p(99)),
        QuicResults.Sample.of(r.rfcElapsed),
        QuicResults.Sample.of(r.rfcPto3),
        QuicResults.Sample.of(r.rfcOver),
        QuicResults.Sample.of(r.silentPto3),
        QuicResults.Sample.of(r.silentOver),
        QuicResults.Sample.of(r.drained),
        QuicResults.Sample.of(r.acked),
        QuicResults.Sample.of(r.hooked),
        r.stack.ackStalls(),
        r.ackAttempts(),
        Json.number(d.median() / a.median()),
        new QuicResults.Cpu(
            cpuCloses,
            Json.number(r.cpuRapid),
            Json.number(r.cpuNative),
            "process CPU time (OperatingSystemMXBean.getProcessCpuTime, all threads, the in-process"
                + " Kwik peer included) over the closes of connections opened ahead and a "
                + CPU_TAIL_MS
                + " ms tail, less the process's CPU at rest over as long (measured over "
                + CPU_REST_MS
                + " ms just before), per close"),
        firstCloseRuns == 0
            ? null
            : QuicResults.FirstClose.of(
                r.firstClose,
                r.firstCloseClasses,
                r.firstOwnClose,
                r.firstOwnCloseClasses,
                List.copyOf(r.firstCloseErrors)),
        r.failures());
  }

  private static int count(boolean[] flags) {
    int n = 0;
    for (boolean f : flags) {
      n += f ? 1 : 0;
    }
    return n;
  }

  /**
   * @return the values whose flag is not set
   */
  private static double[] without(double[] values, boolean[] flags) {
    return java.util.stream.IntStream.range(0, values.length)
        .filter(i -> !flags[i])
        .mapToDouble(i -> values[i])
        .toArray();
  }

  /** --idle: what wrapped connections that stay open cost in threads and resident memory. */
  private int idleCost() throws Exception {
    int threads0 = Thread.activeCount();
    long rss0 = residentKiB();
    java.util.List<QuicConnection> open = new java.util.ArrayList<>();
    for (int i = 0; i < idle; i++) {
      open.add(QuicConnection.of(KwikStack.connect(port), loops, "idle", options()));
    }
    Thread.sleep(2000); // what wrapping queued has run; Kwik's handshake tails are over
    System.gc();
    int threads = Thread.activeCount() - threads0;
    long rss = residentKiB() - rss0;
    System.out.printf(
        "%d wrapped client connections (and their server sides, in this JVM), close threads %s: +%d threads (%.2f per connection), +%d KiB resident (%.0f KiB per connection)%n",
        idle,
        noCloseThreadsAhead ? "left to the close" : "started ahead",
        threads,
        (double) threads / idle,
        rss,
        (double) rss / idle);
    for (QuicConnection c : open) {
      c.shutdown(ShutdownSpec.bidirectional().rapid().noStreamFlush()).block(WAIT);
    }
    return 0;
  }

  private static long residentKiB() throws java.io.IOException {
    for (String line :
        java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("\\D", ""));
      }
    }
    throw new IllegalStateException("no VmRSS in /proc/self/status (Linux only)");
  }

  private QuicOptions options() {
    return QuicOptions.defaults()
        .closeThreads(
            noCloseThreadsAhead
                ? QuicOptions.CloseThreads.AT_CLOSE
                : QuicOptions.CloseThreads.AHEAD);
  }

  /** A Kwik server that reads each stream and answers one byte once it has read --size bytes. */
  private ServerConnector startServer() throws Exception {
    SelfSignedCertificate cert = SelfSignedCertificate.generate();
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setKeyEntry(
        "s",
        cert.keys().getPrivate(),
        "p".toCharArray(),
        new X509Certificate[] {cert.certificate()});
    DatagramSocket socket =
        new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    port = socket.getLocalPort();
    ServerConnector server =
        ServerConnector.builder()
            .withSocket(socket)
            .withKeyStore(ks, "s", "p".toCharArray())
            .withConfiguration(
                ServerConnectionConfig.builder()
                    .maxIdleTimeoutInSeconds(30)
                    .maxOpenPeerInitiatedBidirectionalStreams(10)
                    .maxBidirectionalStreamBufferSize(4_000_000)
                    .maxConnectionBufferSize(8_000_000)
                    .build())
            .withLogger(new tech.kwik.core.log.NullLogger())
            .build();
    server.registerApplicationProtocol(
        "bench",
        (protocol, connection) ->
            new ApplicationProtocolConnection() {
              @Override
              public void acceptPeerInitiatedStream(QuicStream stream) {
                Thread t = new Thread(() -> serve(stream), "bench-peer");
                t.setDaemon(true);
                t.start();
              }
            });
    server.start();
    return server;
  }

  private void serve(QuicStream stream) {
    byte[] buf = new byte[64 * 1024];
    long read = 0;
    try {
      InputStream in = stream.getInputStream();
      OutputStream out = stream.getOutputStream();
      int n;
      while ((n = in.read(buf)) >= 0) {
        long before = read;
        read += n;
        if (before < size && read >= size) {
          out.write(1);
          out.flush();
        }
      }
      // the peer's side ends with ours: quiche releases a bidirectional stream only then
      out.close();
    } catch (java.io.IOException ignored) {
      // the connection ended
    }
  }
}
