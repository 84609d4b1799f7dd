package dev.graceful.benchmarks.tls;

import dev.graceful.benchmarks.Charts;
import dev.graceful.benchmarks.Distribution;
import dev.graceful.benchmarks.Json;
import dev.graceful.benchmarks.Progress;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.ToDoubleBiFunction;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * End to end on loopback: a server JVM (graceful, Netty's closeOutbound path, or the hand-written
 * loop) shuts N handshaken TLS connections down at once; this JVM runs the N clients, which verify
 * that each received a close_notify. Stacks are interleaved in every repetition.
 */
@Command(
    name = "tls",
    mixinStandardHelpOptions = true,
    description =
        "TLS shutdown throughput: graceful vs Netty vs the raw loop (two JVMs, loopback).")
public final class TlsBenchmark implements Callable<Integer> {
  @Option(names = "--connections", split = ",", description = "N per round (default 1000,10000)")
  List<Integer> sizes = List.of(1000, 10_000);

  @Option(names = "--protocols", split = ",", description = "default TLSv1.3,TLSv1.2")
  List<String> protocols = List.of("TLSv1.3", "TLSv1.2");

  @Option(names = "--modes", split = ",", description = "BIDIRECTIONAL and/or FAST (default both)")
  List<ServerStack.Mode> modes = List.of(ServerStack.Mode.BIDIRECTIONAL, ServerStack.Mode.FAST);

  @Option(
      names = "--stacks",
      split = ",",
      description =
          "STACK:LOOPS (default graceful:1,graceful:2,netty:2,raw:1; also graceful-untimed, without deadlines)")
  List<String> stacks = List.of("graceful:1", "graceful:2", "netty:2", "raw:1");

  @Option(names = "--repeat", description = "rounds of each case, interleaved (default 5)")
  int repeat = 5;

  // 15: with fewer, the JIT still compiled graceful's close path within timed spans (measured: see
  // BENCHMARKS.md)
  @Option(
      names = "--warmup",
      description = "untimed 1,000-connection rounds per stack and mode first (default 15)")
  int warmup = 15;

  @Option(names = "--client-loops", description = "client threads (default 1)")
  int clientLoops = 1;

  @Option(names = "--window", description = "handshakes in flight while opening (default 200)")
  int window = 200;

  @Option(names = "--no-memory", description = "skip the heap per pending shutdown measurement")
  boolean noMemory;

  @Option(
      names = "--heap-classes",
      description =
          "with the memory measurement: the classes whose live instances a pending shutdown adds, per connection and stack (the server's class histograms before opening and while the shutdowns wait, compared)")
  boolean heapClasses;

  @Option(
      names = "--server-jvm",
      split = " ",
      description = "server JVM options (default -Xms2g -Xmx2g)")
  List<String> serverJvm = List.of("-Xms2g", "-Xmx2g");

  @Option(
      names = "--server-cpus",
      description =
          "run the server JVM on these CPUs only (a taskset list, e.g. 0); start this command with the others (taskset -c 1 java -jar ...) so that clients and server never share a core")
  String serverCpus;

  @Option(
      names = "--start",
      description =
          "LOOP: each stack starts its shutdowns on the loops owning the connections, one pass per loop, as the raw loop does (default); CALLER: from the command thread, connection by connection")
  ServerStack.Start start = ServerStack.Start.LOOP;

  @Option(
      names = "--profile",
      description =
          "write an async-profiler CPU profile (collapsed stacks) of every measured shutdown span to this directory, one file per round")
  Path profile;

  @Option(
      names = "--profile-event",
      converter = ProfileEvent.Parse.class,
      description =
          "what --profile samples: cpu (user-mode CPU, the default; works with perf_event_paranoid 2), cpu-kernel (CPU with kernel frames: system calls, the TCP stack; needs perf_event_paranoid 1 or root) or wall (every thread's wall clock, waiting included)")
  ProfileEvent profileEvent = ProfileEvent.CPU;

  @Option(
      names = "--json",
      paramLabel = "FILE",
      description =
          "also write every figure printed, the machine, the JVM and this command line to FILE, as JSON (see BENCHMARKS.md)")
  Path json;

  @Option(
      names = "--plot",
      paramLabel = "DIR",
      description =
          "draw tls-ratios.png (the paired ratios, round by round) and tls-latency.png (close_notify arrival percentiles per stack) into DIR")
  Path plot;

  @Spec CommandSpec spec;

  /** async-profiler's events for {@code --profile}. */
  enum ProfileEvent {
    CPU("cpu", "event=cpu,alluser"),
    CPU_KERNEL("cpu-kernel", "event=cpu"),
    WALL("wall", "event=wall");

    final String cliName;
    final String options;

    ProfileEvent(String cliName, String options) {
      this.cliName = cliName;
      this.options = options;
    }

    /** Picocli's converter: the names above. */
    static final class Parse implements picocli.CommandLine.ITypeConverter<ProfileEvent> {
      @Override
      public ProfileEvent convert(String value) {
        for (ProfileEvent e : values()) {
          if (e.cliName.equals(value)) {
            return e;
          }
        }
        throw new picocli.CommandLine.TypeConversionException(
            "'" + value + "' is not cpu, cpu-kernel or wall");
      }
    }
  }

  private static final long WAIT_MS = 180_000;
  private static final com.sun.management.OperatingSystemMXBean CPU =
      (com.sun.management.OperatingSystemMXBean)
          java.lang.management.ManagementFactory.getOperatingSystemMXBean();
  private final PrintStream out = System.out;
  private Process server;
  private BufferedReader replies;
  private PrintStream commands;
  private final List<TlsResults.RoundFigures> roundFigures = new ArrayList<>();
  private final List<TlsResults.CaseFigures> caseFigures = new ArrayList<>();
  private final List<TlsResults.Ratio> ratioFigures = new ArrayList<>();
  private final List<TlsResults.Paired> pairedFigures = new ArrayList<>();
  private final List<TlsResults.Memory> memoryFigures = new ArrayList<>();
  private Double pendingBeyondRaw;

  /**
   * The milliseconds all of this machine's CPUs have spent running anything (user, nice, system,
   * interrupts) and waiting for the hypervisor to run this VM (steal): Linux's {@code /proc/stat},
   * in its 100 Hz ticks; -1 where it cannot be read.
   */
  record MachineTime(long busyMs, long stealMs) {
    static final MachineTime UNKNOWN = new MachineTime(-1, -1);

    /**
     * @return the machine's time so far
     */
    static MachineTime now() {
      try (java.io.BufferedReader r =
          java.nio.file.Files.newBufferedReader(java.nio.file.Path.of("/proc/stat"))) {
        String[] f =
            r.readLine()
                .trim()
                .split("\\s+"); // cpu user nice system idle iowait irq softirq steal ...
        long busy =
            Long.parseLong(f[1])
                + Long.parseLong(f[2])
                + Long.parseLong(f[3])
                + Long.parseLong(f[6])
                + Long.parseLong(f[7]);
        return new MachineTime(busy * 10, Long.parseLong(f[8]) * 10);
      } catch (java.io.IOException | RuntimeException e) {
        return UNKNOWN;
      }
    }

    /**
     * @return the time spent from {@code this} to {@code later}, unknown if either is
     */
    MachineTime until(MachineTime later) {
      return busyMs < 0 || later.busyMs < 0
          ? UNKNOWN
          : new MachineTime(later.busyMs - busyMs, later.stealMs - stealMs);
    }
  }

  private static String known(long v) {
    return v < 0 ? "-" : Long.toString(v);
  }

  /**
   * @return a count per shutdown, two decimals, or "-" for a count the server could not read
   */
  private static String perShutdown(long count, int n) {
    return count < 0 ? "-" : String.format(Locale.ROOT, "%.2f", (double) count / n);
  }

  /**
   * One timed round; {@code closeNotifyMs}: each client's close_notify arrival, from the span's
   * start.
   */
  record Round(
      String stack,
      String protocol,
      int n,
      ServerStack.Mode mode,
      double ms,
      double cpuMs,
      double clientCpuMs,
      int verified,
      int truncated,
      int failed,
      String problem,
      long reads,
      long writes,
      long jitMs,
      double firstNotifyMs,
      double lastNotifyMs,
      long clientWakeups,
      long clientKeys,
      double busiestMs,
      MachineTime machine,
      double[] closeNotifyMs) {
    boolean ok() {
      return ms >= 0 && verified == n && truncated == 0 && failed == 0;
    }
  }

  @Override
  public Integer call() throws Exception {
    out.printf(
        "TLS benchmark: java %s, %d cores, client loops %d, server JVM %s, shutdowns started %s%s%n",
        System.getProperty("java.version"),
        Runtime.getRuntime().availableProcessors(),
        clientLoops,
        serverJvm,
        start == ServerStack.Start.LOOP ? "on the owning loops" : "from the command thread",
        serverCpus == null ? "" : ", server on CPUs " + serverCpus + " only");
    startServer();
    try (BenchClient client = new BenchClient(clientContext(), clientLoops)) {
      Progress warming = Progress.everyStep("tls warm-up", warmup * stacks.size() * modes.size());
      for (int w = 0; w < warmup; w++) {
        for (String s : stacks) {
          for (ServerStack.Mode m : modes) {
            round(client, s, "TLSv1.3", 1000, m);
            warming.step("round " + (w + 1) + "/" + warmup + ", " + s + " " + m);
          }
        }
      }
      List<Round> rounds = new ArrayList<>();
      Progress measuring =
          Progress.everyStep(
              "tls measured",
              repeat * protocols.size() * sizes.size() * modes.size() * stacks.size());
      for (int r = 0; r < repeat; r++) {
        for (String protocol : protocols) {
          for (int n : sizes) {
            for (ServerStack.Mode m : modes) {
              List<String> order = new ArrayList<>(stacks);
              java.util.Collections.rotate(order, r); // interleaved, each stack first in turn
              for (String s : order) {
                Round x = round(client, s, protocol, n, m);
                rounds.add(x);
                roundFigures.add(TlsResults.RoundFigures.of(r + 1, x));
                measuring.step(
                    "round " + (r + 1) + "/" + repeat + ", " + protocol + " n=" + n + " " + m + " "
                        + s);
                out.printf(
                    Locale.ROOT,
                    "  round %d %-10s %-7s n=%-6d %-13s %8.1f ms  cpu %8.1f ms (busiest thread %.1f)  client cpu %8.1f ms  reads %s writes %s per shutdown  jit %4s ms  client: close_notify %.1f to %.1f ms, %d wake-ups, %.1f keys each  machine: busy %s ms, steal %s ms  verified %d%s%n",
                    r + 1,
                    x.stack,
                    x.protocol,
                    x.n,
                    x.mode,
                    x.ms,
                    x.cpuMs,
                    x.busiestMs,
                    x.clientCpuMs,
                    perShutdown(x.reads, x.n),
                    perShutdown(x.writes, x.n),
                    known(x.jitMs),
                    x.firstNotifyMs,
                    x.lastNotifyMs,
                    x.clientWakeups,
                    x.clientWakeups == 0 ? 0.0 : (double) x.clientKeys / x.clientWakeups,
                    known(x.machine.busyMs()),
                    known(x.machine.stealMs()),
                    x.verified,
                    x.ok()
                        ? ""
                        : "  FAILED truncated="
                            + x.truncated
                            + " failed="
                            + x.failed
                            + " "
                            + x.problem);
              }
            }
          }
        }
      }
      boolean ok = report(rounds);
      if (!noMemory) {
        ok &= memory(client);
      }
      if (json != null) {
        Json.write(
            json,
            Json.Document.now(
                "tls",
                spec.commandLine().getParseResult().originalArgs(),
                new TlsResults(
                    serverJvm,
                    clientLoops,
                    start.name(),
                    serverCpus,
                    warmup,
                    roundFigures,
                    caseFigures,
                    ratioFigures,
                    pairedFigures,
                    memoryFigures,
                    pendingBeyondRaw,
                    ok)));
        System.err.println("tls: results written to " + json);
      }
      if (plot != null) {
        plot(rounds);
        System.err.println("tls: charts drawn in " + plot);
      }
      return ok ? 0 : 1;
    } finally {
      commands.close();
      server.waitFor();
    }
  }

  private Round round(
      BenchClient client, String stack, String protocol, int n, ServerStack.Mode mode)
      throws Exception {
    String[] sl = stack.split(":");
    int port = Integer.parseInt(ask("open " + sl[0] + " " + protocol + " " + sl[1], "port")[1]);
    try {
      client.silent(false);
      client.open(
          new InetSocketAddress(InetAddress.getLoopbackAddress(), port),
          protocol,
          n,
          window,
          WAIT_MS);
      ask("await " + n, "ready");
      // the clients' side of the span starts from a collected heap too, as the server's does: else
      // the handshakes' connections, still young, are copied by whichever round's span a young
      // collection falls into, and that round's clients are slower for every stack alike
      System.gc();
      long[] ready0 = client.readiness();
      long clientCpu0 = CPU.getProcessCpuTime();
      MachineTime machine0 = MachineTime.now();
      String[] d = ask("shutdown " + mode + " " + start + " " + n, "done");
      client.awaitVerified(n, 60_000);
      MachineTime machine1 = MachineTime.now();
      // this JVM's CPU while the clients received and answered the close_notifies
      double clientCpuMs = (CPU.getProcessCpuTime() - clientCpu0) / 1e6;
      long[] ready1 = client.readiness();
      long[] notified = client.notifyTimes();
      long spanStart = Long.parseLong(d[8]);
      double[] arrivals =
          Arrays.stream(client.closeNotifyTimes())
              .mapToDouble(t -> (t - spanStart) / 1e6)
              .toArray();
      return new Round(
          stack,
          protocol,
          n,
          mode,
          Long.parseLong(d[1]) / 1e6,
          Long.parseLong(d[2]) / 1e6,
          clientCpuMs,
          client.verified(),
          client.truncated(),
          Integer.parseInt(d[4]),
          d.length > 10 ? d[10] : client.lastProblem(),
          Long.parseLong(d[5]),
          Long.parseLong(d[6]),
          Long.parseLong(d[7]),
          notified[0] == 0 ? -1 : (notified[0] - Long.parseLong(d[8])) / 1e6,
          notified[1] == 0 ? -1 : (notified[1] - Long.parseLong(d[8])) / 1e6,
          ready1[0] - ready0[0],
          ready1[1] - ready0[1],
          Long.parseLong(d[9]) / 1e6,
          machine0.until(machine1),
          arrivals);
    } finally {
      client.abortAll();
      closeStack(stack);
    }
  }

  private boolean report(List<Round> rounds) {
    Map<String, List<Round>> cases = new LinkedHashMap<>();
    for (Round r : rounds) {
      cases
          .computeIfAbsent(
              r.protocol + " " + r.n + " " + r.mode + " " + r.stack, k -> new ArrayList<>())
          .add(r);
    }
    out.println();
    out.printf(
        "%-8s %7s %-13s %-11s %10s %12s %16s %17s %10s %9s%n",
        "protocol",
        "N",
        "mode",
        "stack",
        "median ms",
        "shutdowns/s",
        "cpu ms per 1000",
        "client cpu ms",
        "busy cores",
        "verified");
    boolean ok = true;
    Map<String, double[]> medians = new LinkedHashMap<>();
    for (Map.Entry<String, List<Round>> e : cases.entrySet()) {
      List<Round> rs = e.getValue();
      Round first = rs.get(0);
      long good = rs.stream().filter(Round::ok).count();
      ok &= good == rs.size();
      double ms = median(rs.stream().mapToDouble(Round::ms).toArray());
      double cpu = median(rs.stream().mapToDouble(Round::cpuMs).toArray());
      double clientCpu = median(rs.stream().mapToDouble(Round::clientCpuMs).toArray());
      // bidirectional: the server's span ends with the clients' last answer, so server and client
      // CPU over it say how busy the machine was (2.0: both cores throughout); fast: the clients
      // go on after the span ends, so no such figure
      double busy =
          first.mode == ServerStack.Mode.BIDIRECTIONAL
              ? median(rs.stream().mapToDouble(r -> (r.cpuMs + r.clientCpuMs) / r.ms).toArray())
              : Double.NaN;
      double rate = first.n / (ms / 1000);
      medians.put(e.getKey(), new double[] {rate, cpu / first.n * 1000});
      caseFigures.add(
          new TlsResults.CaseFigures(
              first.protocol,
              first.n,
              first.mode.name(),
              first.stack,
              ms,
              rate,
              cpu / first.n * 1000,
              clientCpu,
              Json.number(busy),
              Distribution.of(closeNotifyMs(rs)),
              good,
              rs.size()));
      out.printf(
          Locale.ROOT,
          "%-8s %7d %-13s %-11s %10.1f %12.0f %16.1f %17.1f %10s %5d/%d%n",
          first.protocol,
          first.n,
          first.mode,
          first.stack,
          ms,
          rate,
          cpu / first.n * 1000,
          clientCpu,
          Double.isNaN(busy) ? "-" : String.format(Locale.ROOT, "%.2f", busy),
          good,
          rs.size());
    }
    int big = sizes.stream().mapToInt(Integer::intValue).max().orElse(0);
    for (ServerStack.Mode m : modes) {
      String key = "TLSv1.3 " + big + " " + m + " ";
      double[] g1 = medians.get(key + "graceful:1");
      double[] g2 = medians.get(key + "graceful:2");
      double[] netty = medians.get(key + "netty:2");
      double[] raw = medians.get(key + "raw:1");
      if (g1 != null && g2 != null && netty != null && raw != null) {
        ratio(big, m, "graceful:2/netty:2 shutdowns/s", g2[0] / netty[0]);
        ratio(big, m, "graceful:1/raw:1 shutdowns/s", g1[0] / raw[0]);
        ratio(big, m, "graceful:2/raw:1 shutdowns/s", g2[0] / raw[0]);
        ratio(big, m, "graceful:1/raw:1 cpu", g1[1] / raw[1]);
        out.printf(
            Locale.ROOT,
            "ratios TLSv1.3 n=%d %s: graceful/netty=%.2f graceful/raw=%.2f (graceful:2/netty:2, graceful:1/raw:1) graceful:2/raw=%.2f cpu graceful:1/raw=%.2f%n",
            big,
            m,
            g2[0] / netty[0],
            g1[0] / raw[0],
            g2[0] / raw[0],
            g1[1] / raw[1]);
      } else if (g1 != null && raw != null) {
        ratio(big, m, "graceful:1/raw:1 shutdowns/s", g1[0] / raw[0]);
        ratio(big, m, "graceful:1/raw:1 cpu", g1[1] / raw[1]);
        out.printf(
            Locale.ROOT,
            "ratios TLSv1.3 n=%d %s: graceful/raw=%.2f (graceful:1/raw:1) cpu graceful:1/raw=%.2f%n",
            big,
            m,
            g1[0] / raw[0],
            g1[1] / raw[1]);
      }
      String paired =
          text(
                  paired(
                      big,
                      m,
                      cases.get(key + "graceful:2"),
                      cases.get(key + "netty:2"),
                      "graceful:2/netty:2",
                      RATE,
                      TlsBenchmark::rateRatio))
              + text(
                  paired(
                      big,
                      m,
                      cases.get(key + "graceful:1"),
                      cases.get(key + "raw:1"),
                      "graceful:1/raw:1",
                      RATE,
                      TlsBenchmark::rateRatio));
      if (!paired.isEmpty()) {
        out.printf(
            Locale.ROOT,
            "paired rounds TLSv1.3 n=%d %s (same round, median [min-max]):%s%n",
            big,
            m,
            paired);
      }
      String loops =
          text(
              paired(
                  big,
                  m,
                  cases.get(key + "graceful:1"),
                  cases.get(key + "raw:1"),
                  "graceful:1/raw:1",
                  "loop-thread cpu",
                  TlsBenchmark::loopCpuRatio));
      if (!loops.isEmpty()) {
        out.printf(
            Locale.ROOT,
            "paired loop-thread CPU TLSv1.3 n=%d %s (same round, median [min-max]; above 1: graceful's loop used more):%s%n",
            big,
            m,
            loops);
      }
    }
    out.println(
        ok
            ? "every client received a close_notify in every round"
            : "FAILED: some clients did not receive a close_notify");
    return ok;
  }

  private boolean memory(BenchClient client) throws Exception {
    int n = sizes.stream().mapToInt(Integer::intValue).max().orElse(10_000);
    out.printf(
        "%nheap retained per connection, %d TLS 1.3 connections, after full collections%n", n);
    out.printf(
        "%-11s %12s %22s %8s%n", "stack", "idle B/conn", "pending shutdown B/conn", "threads");
    Map<String, Double> pending = new LinkedHashMap<>();
    Map<String, Map<String, HeapClasses.Row>> classGrowth = new LinkedHashMap<>();
    boolean ok = true;
    Progress measuring = Progress.everyStep("tls memory", stacks.size());
    for (String stack : stacks) {
      String[] sl = stack.split(":");
      int port = Integer.parseInt(ask("open " + sl[0] + " TLSv1.3 " + sl[1], "port")[1]);
      try {
        long h0 = Long.parseLong(ask("heap", "heap")[1]);
        java.nio.file.Path before = heapClasses ? histogram() : null;
        client.silent(true);
        client.open(
            new InetSocketAddress(InetAddress.getLoopbackAddress(), port),
            "TLSv1.3",
            n,
            window,
            WAIT_MS);
        ask("await " + n, "ready");
        long h1 = Long.parseLong(ask("heap", "heap")[1]);
        int sent = Integer.parseInt(ask("pending " + n, "sent")[1]);
        ok &= client.awaitVerified(n, 60_000) && sent == n;
        String[] h = ask("heap", "heap");
        if (before != null) {
          classGrowth.put(stack, HeapClasses.printGrowth(out, stack, before, histogram(), n));
        }
        double p = (Long.parseLong(h[1]) - h0) / (double) n;
        pending.put(stack, p);
        memoryFigures.add(
            new TlsResults.Memory(stack, (h1 - h0) / (double) n, p, Integer.parseInt(h[2])));
        out.printf(
            Locale.ROOT, "%-11s %12.0f %22.0f %8s%n", stack, (h1 - h0) / (double) n, p, h[2]);
      } finally {
        client.abortAll();
        closeStack(stack);
      }
      measuring.step(stack);
    }
    Double g = pending.get("graceful:1");
    Double raw = pending.get("raw:1");
    if (g != null && raw != null) {
      pendingBeyondRaw = g - raw;
      out.printf(
          Locale.ROOT,
          "graceful pending shutdown beyond the raw loop's engine and socket: %.0f B per connection%n",
          g - raw);
      if (classGrowth.containsKey("graceful:1") && classGrowth.containsKey("raw:1")) {
        HeapClasses.printBeyond(
            out,
            "graceful:1 beyond raw:1, by class, per connection",
            classGrowth.get("graceful:1"),
            classGrowth.get("raw:1"),
            n);
      }
    }
    return ok;
  }

  /** Closes the server's stack; a stack that keeps its sockets would starve the next one. */
  private void closeStack(String stack) throws IOException {
    long open = Long.parseLong(ask("close", "closed")[1]);
    if (open > 1000) {
      System.err.printf("warning: %s left %d files open in the server JVM%n", stack, open);
    }
  }

  private static final String RATE = "shutdowns/s";

  /** Keeps a ratio of two stacks' medians for the results file. */
  private void ratio(int n, ServerStack.Mode mode, String name, double value) {
    ratioFigures.add(new TlsResults.Ratio("TLSv1.3", n, mode.name(), name, value));
  }

  /**
   * A ratio within each round, where both stacks ran back to back: what drifts between rounds (the
   * machine's load, its clock) cancels out, so the spread of these says how far the median ratio
   * can be trusted. Kept for the results file and the charts.
   *
   * @param of what the ratio is of
   * @param ratio the ratio of one round's two results, or NaN where a figure is unknown
   * @return the ratios, or null when either stack did not run or a figure is unknown
   */
  private TlsResults.Paired paired(
      int n,
      ServerStack.Mode mode,
      List<Round> a,
      List<Round> b,
      String label,
      String of,
      ToDoubleBiFunction<Round, Round> ratio) {
    if (a == null || b == null || a.size() != b.size() || a.isEmpty()) {
      return null;
    }
    double[] r = new double[a.size()];
    for (int i = 0; i < r.length; i++) {
      r[i] = ratio.applyAsDouble(a.get(i), b.get(i));
      if (Double.isNaN(r[i])) {
        return null;
      }
    }
    TlsResults.Paired p =
        new TlsResults.Paired(
            "TLSv1.3",
            n,
            mode.name(),
            label,
            of,
            r,
            median(r),
            Arrays.stream(r).min().orElseThrow(),
            Arrays.stream(r).max().orElseThrow());
    pairedFigures.add(p);
    return p;
  }

  /**
   * @return " label=median [min-max]", or "" for none
   */
  private static String text(TlsResults.Paired p) {
    return p == null
        ? ""
        : String.format(
            Locale.ROOT, " %s=%.2f [%.2f-%.2f]", p.name(), p.median(), p.min(), p.max());
  }

  /**
   * @return every client's close_notify arrival in {@code rounds}, from its round's span start
   */
  private static double[] closeNotifyMs(List<Round> rounds) {
    return rounds.stream().flatMapToDouble(r -> Arrays.stream(r.closeNotifyMs())).toArray();
  }

  /**
   * --plot: the paired rate ratios round by round, and the close_notify arrival percentiles of each
   * stack, for TLS 1.3 at the largest size, all its rounds' clients together.
   */
  private void plot(List<Round> rounds) throws IOException {
    int big = sizes.stream().mapToInt(Integer::intValue).max().orElse(0);
    Map<String, double[]> ratios = new LinkedHashMap<>();
    for (TlsResults.Paired p : pairedFigures) {
      if (p.of().equals(RATE)) {
        ratios.put(p.name() + " " + p.mode(), p.perRound());
      }
    }
    Charts.ratios(
        plot.resolve("tls-ratios.png"),
        "TLS 1.3, n=" + big + ": shutdowns/s of graceful over the baseline, same round",
        "round",
        "shutdowns/s ratio (above 1: graceful faster)",
        false,
        ratios);
    Map<String, List<Round>> byCase = new LinkedHashMap<>();
    for (Round r : rounds) {
      if (r.protocol.equals("TLSv1.3") && r.n == big) {
        byCase.computeIfAbsent(r.stack + " " + r.mode, k -> new ArrayList<>()).add(r);
      }
    }
    Map<String, double[]> latencies = new LinkedHashMap<>();
    byCase.forEach((k, rs) -> latencies.put(k, closeNotifyMs(rs)));
    Charts.percentiles(
        plot.resolve("tls-latency.png"),
        "TLS 1.3, n=" + big + ": close_notify arrival at the clients, all " + repeat + " rounds",
        "ms from the start of the shutdowns",
        false,
        latencies);
  }

  /**
   * @return shutdowns per second of {@code a} over {@code b}'s, with the same n
   */
  private static double rateRatio(Round a, Round b) {
    return b.ms / a.ms;
  }

  /**
   * @return the CPU time of {@code a}'s busiest server thread over {@code b}'s (for one-loop
   *     stacks, their loop threads), or NaN when the server could not read either: steadier than
   *     the rates on shared cores, since the clients' share of the machine does not enter it
   */
  private static double loopCpuRatio(Round a, Round b) {
    return a.busiestMs > 0 && b.busiestMs > 0 ? a.busiestMs / b.busiestMs : Double.NaN;
  }

  private static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }

  private void startServer() throws Exception {
    String java = ProcessHandle.current().info().command().orElse("java");
    String jar =
        Path.of(TlsBenchmark.class.getProtectionDomain().getCodeSource().getLocation().toURI())
            .toString();
    List<String> cmd = new ArrayList<>();
    if (serverCpus != null) {
      cmd.addAll(List.of("taskset", "-c", serverCpus)); // util-linux, as on any Linux machine
    }
    cmd.add(java);
    cmd.addAll(serverJvm);
    cmd.addAll(List.of("-cp", jar, BenchServer.class.getName()));
    if (profile != null) {
      Files.createDirectories(profile);
      cmd.add(profile.toAbsolutePath().toString());
      cmd.add(profileEvent.options);
    }
    server = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    replies =
        new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
    commands = new PrintStream(server.getOutputStream(), true, StandardCharsets.UTF_8);
  }

  private X509Certificate serverCertificate;

  private SSLContext clientContext() throws Exception {
    String[] cert = reply("cert");
    serverCertificate =
        (X509Certificate)
            CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(Base64.getDecoder().decode(cert[1])));
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("server", serverCertificate);
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    return ctx;
  }

  /** The server's live objects by class, in a temporary file. */
  private java.nio.file.Path histogram() throws IOException {
    java.nio.file.Path file = java.nio.file.Files.createTempFile("graceful-heap", ".txt");
    file.toFile().deleteOnExit();
    ask("histogram " + file, "histogram");
    return file;
  }

  private String[] ask(String command, String expect) throws IOException {
    commands.println(command);
    return reply(expect);
  }

  private String[] reply(String expect) throws IOException {
    String line = replies.readLine();
    while (line != null && line.startsWith("[")) {
      System.err.println("server JVM: " + line); // unified JVM logging (-Xlog, JFR) shares stdout
      line = replies.readLine();
    }
    if (line == null) {
      throw new IOException("the server JVM ended (exit " + waitExit() + ")");
    }
    String[] w = line.split(" ");
    if (!w[0].equals(expect)) {
      throw new IOException("expected '" + expect + "' from the server JVM, got: " + line);
    }
    return w;
  }

  private int waitExit() {
    try {
      return server.waitFor();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }
}
