package dev.graceful.benchmarks.tls;

import com.sun.management.OperatingSystemMXBean;
import dev.graceful.testkit.SelfSignedCertificate;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLContext;

/**
 * The server JVM of the TLS benchmark, driven line by line over stdin by {@link TlsBenchmark} (a
 * separate process, because open files are capped per process). Replies go to stdout, one line
 * each.
 *
 * <pre>
 * open STACK PROTOCOL LOOPS   -> port P            (STACK: graceful, netty, raw)
 * await N                     -> ready N
 * shutdown MODE START N       -> done ELAPSED_NS CPU_NS COMPLETED FAILED READS WRITES JIT_MS T0_NS BUSIEST_NS [FIRST_ERROR]
 *                                 (READS, WRITES: system calls over the span; JIT_MS: compiling;
 *                                 each -1 where this platform does not tell; T0_NS: the span's
 *                                 start in System.nanoTime(), which on Linux is the machine's
 *                                 monotonic clock, the same in both JVMs; BUSIEST_NS: the CPU
 *                                 time of the server's busiest thread over the span, -1 if
 *                                 unknown)
 * pending N                   -> sent N            (bidirectional shutdowns left waiting)
 * heap                        -> heap BYTES THREADS (after full collections)
 * close                       -> closed
 * </pre>
 *
 * <p>With a directory and async-profiler's event options as its two arguments (as {@code
 * TlsBenchmark --profile --profile-event} passes them), every measured shutdown span is profiled
 * (one sample per 100 µs) and written there as collapsed stacks, one file per round: {@code
 * STACK-LOOPS-PROTOCOL-MODE-N-ROUND.collapsed}.
 */
public final class BenchServer {
  private static final long WAIT_MS = 180_000;

  private BenchServer() {}

  /**
   * @param args nothing, or the directory for profiles
   * @throws Exception on any failure (the orchestrator sees the process end)
   */
  public static void main(String[] args) throws Exception {
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    SelfSignedCertificate certificate = SelfSignedCertificate.generate();
    SSLContext context = certificate.serverContext();
    out.println(
        "cert " + Base64.getEncoder().encodeToString(certificate.certificate().getEncoded()));
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    InetSocketAddress bind = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    ServerStack stack = null;
    Profiler profiler =
        args.length > 0 ? new Profiler(java.nio.file.Path.of(args[0]), args[1]) : null;
    String name = "";
    String line;
    while ((line = in.readLine()) != null) {
      String[] w = line.trim().split("\\s+");
      switch (w[0]) {
        case "open" -> {
          int loops = Integer.parseInt(w[3]);
          stack =
              switch (w[1]) {
                case "graceful" -> new GracefulStack(bind, context, w[2], loops, true);
                case "graceful-untimed" -> new GracefulStack(bind, context, w[2], loops, false);
                case "netty" -> new NettyStack(bind, context, w[2], loops);
                case "raw" -> new RawStack(bind, context, w[2]);
                default -> throw new IllegalArgumentException("unknown stack " + w[1]);
              };
          out.println("port " + stack.port());
          name = w[1] + "-" + w[3] + "-" + w[2];
        }
        case "await" -> {
          int n = Integer.parseInt(w[1]);
          long until = System.currentTimeMillis() + WAIT_MS;
          while (stack.handshaken() < n && System.currentTimeMillis() < until) {
            Thread.sleep(5);
          }
          out.println("ready " + stack.handshaken());
        }
        case "shutdown" -> {
          String done =
              shutdown(
                  stack,
                  ServerStack.Mode.valueOf(w[1]),
                  ServerStack.Start.valueOf(w[2]),
                  Integer.parseInt(w[3]),
                  profiler);
          if (profiler != null) {
            profiler.stop(name + "-" + w[1] + "-" + w[3]);
          }
          out.println(done);
        }
        case "pending" -> {
          int n = Integer.parseInt(w[1]);
          stack.shutdownAll(
              ServerStack.Mode.BIDIRECTIONAL,
              ServerStack.Start.LOOP,
              new ServerStack.Completion() {
                @Override
                public void done() {}

                @Override
                public void failed(Throwable cause) {}
              });
          long until = System.currentTimeMillis() + WAIT_MS;
          while (stack.sent() < n && System.currentTimeMillis() < until) {
            Thread.sleep(5);
          }
          out.println("sent " + stack.sent());
        }
        case "heap" -> out.println("heap " + heapAfterGc() + " " + Thread.activeCount());
        case "histogram" -> {
          java.nio.file.Files.writeString(java.nio.file.Path.of(w[1]), classHistogram());
          out.println("histogram " + w[1]);
        }
        case "close" -> {
          if (stack != null) {
            stack.close();
            stack = null;
          }
          // sockets can outlive a stack's close by a moment; the next stack must not inherit them
          // (until the count stops falling for half a second)
          long deadline = System.nanoTime() + 20_000_000_000L;
          long open = openFiles();
          for (int still = 0; still < 10 && System.nanoTime() < deadline; ) {
            Thread.sleep(50);
            long now = openFiles();
            still = now < open ? 0 : still + 1;
            open = now;
          }
          out.println("closed " + open);
        }
        default -> throw new IllegalArgumentException("unknown command " + line);
      }
    }
  }

  private static String shutdown(
      ServerStack stack, ServerStack.Mode mode, ServerStack.Start start, int n, Profiler profiler)
      throws InterruptedException, java.io.IOException {
    OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    // every stack starts its span from a collected heap, so that no stack pays for garbage left by
    // the handshakes or by an earlier round (its own garbage it still pays for)
    System.gc();
    CountDownLatch all = new CountDownLatch(n);
    AtomicLong last = new AtomicLong();
    AtomicInteger failed = new AtomicInteger();
    AtomicReference<Throwable> first = new AtomicReference<>();
    if (profiler != null) {
      profiler.start(); // after the collection above: a profile shows the span, not the set-up
    }
    long[] io0 = systemCalls();
    long jit0 = compilationMs();
    Map<Long, Long> threads0 = threadCpu();
    long cpu0 = os.getProcessCpuTime();
    long t0 = System.nanoTime();
    stack.shutdownAll(
        mode,
        start,
        new ServerStack.Completion() {
          @Override
          public void done() {
            last.accumulateAndGet(System.nanoTime(), Math::max);
            all.countDown();
          }

          @Override
          public void failed(Throwable cause) {
            failed.incrementAndGet();
            first.compareAndSet(null, cause);
            last.accumulateAndGet(System.nanoTime(), Math::max);
            all.countDown();
          }
        });
    boolean finished = all.await(WAIT_MS, TimeUnit.MILLISECONDS);
    long cpu = os.getProcessCpuTime() - cpu0;
    long busiest = busiest(threads0, threadCpu());
    long[] io = systemCalls();
    long jit = jit0 < 0 ? -1 : compilationMs() - jit0;
    long elapsed = finished ? last.get() - t0 : -1;
    long completed = n - all.getCount() - failed.get();
    Throwable e = first.get();
    return "done "
        + elapsed
        + " "
        + cpu
        + " "
        + completed
        + " "
        + failed.get()
        + " "
        + (io0[0] < 0 || io[0] < 0 ? -1 : io[0] - io0[0])
        + " "
        + (io0[1] < 0 || io[1] < 0 ? -1 : io[1] - io0[1])
        + " "
        + jit
        + " "
        + t0
        + " "
        + busiest
        + (e == null ? "" : " " + String.valueOf(e).replaceAll("\\s+", "_"));
  }

  /**
   * @return every live thread's CPU time so far, by thread id; empty if not supported
   */
  private static Map<Long, Long> threadCpu() {
    java.lang.management.ThreadMXBean t = ManagementFactory.getThreadMXBean();
    Map<Long, Long> cpu = new HashMap<>();
    if (t.isThreadCpuTimeSupported() && t.isThreadCpuTimeEnabled()) {
      for (long id : t.getAllThreadIds()) {
        long ns = t.getThreadCpuTime(id);
        if (ns >= 0) {
          cpu.put(id, ns);
        }
      }
    }
    return cpu;
  }

  /**
   * @return the most CPU one thread used between the two snapshots, or -1 with none
   */
  private static long busiest(Map<Long, Long> before, Map<Long, Long> after) {
    long max = -1;
    for (Map.Entry<Long, Long> e : after.entrySet()) {
      max = Math.max(max, e.getValue() - before.getOrDefault(e.getKey(), 0L));
    }
    return max;
  }

  /**
   * @return ms the JIT compilers have spent so far (their threads' time), or -1
   */
  private static long compilationMs() {
    java.lang.management.CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
    return jit != null && jit.isCompilationTimeMonitoringSupported()
        ? jit.getTotalCompilationTime()
        : -1;
  }

  /**
   * @return {read, write} system calls this process made so far (Linux's {@code syscr} and {@code
   *     syscw}: socket reads and writes, the loops' wake-ups, this command channel), or {-1, -1}
   */
  private static long[] systemCalls() {
    long[] rw = {-1, -1};
    try {
      for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/io"))) {
        if (line.startsWith("syscr:")) {
          rw[0] = Long.parseLong(line.substring(6).trim());
        } else if (line.startsWith("syscw:")) {
          rw[1] = Long.parseLong(line.substring(6).trim());
        }
      }
    } catch (java.io.IOException | RuntimeException e) {
      return new long[] {-1, -1};
    }
    return rw;
  }

  /**
   * @return the live objects by class, after a full collection: the JVM's {@code
   *     GC.class_histogram} diagnostic command, as {@code jcmd} runs it
   */
  private static String classHistogram() throws Exception {
    return (String)
        ManagementFactory.getPlatformMBeanServer()
            .invoke(
                new javax.management.ObjectName("com.sun.management:type=DiagnosticCommand"),
                "gcClassHistogram",
                new Object[] {new String[0]},
                new String[] {String[].class.getName()});
  }

  private static long heapAfterGc() throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(100);
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  /**
   * @return file descriptors this JVM has open (Linux), or -1: a stack must give its sockets back
   */
  private static long openFiles() {
    try (java.util.stream.Stream<java.nio.file.Path> fds =
        java.nio.file.Files.list(java.nio.file.Path.of("/proc/self/fd"))) {
      return fds.count();
    } catch (java.io.IOException | UnsupportedOperationException e) {
      return -1;
    }
  }

  /** async-profiler around the measured spans; loaded from the jar by ap-loader. */
  private static final class Profiler {
    private final java.nio.file.Path dir;
    private final String event;
    private final one.profiler.AsyncProfiler profiler;
    private final java.util.Map<String, Integer> rounds = new java.util.HashMap<>();

    /**
     * @param dir where the profiles go
     * @param event async-profiler's event options, as {@code TlsBenchmark --profile-event} chose
     *     them
     */
    Profiler(java.nio.file.Path dir, String event) {
      this.dir = dir;
      this.event = event;
      this.profiler = one.profiler.AsyncProfilerLoader.loadOrNull();
      if (profiler == null) {
        throw new IllegalStateException("async-profiler cannot be loaded on this platform");
      }
    }

    void start() throws java.io.IOException {
      profiler.execute("start," + event + ",interval=100000");
    }

    void stop(String name) throws java.io.IOException {
      int round = rounds.merge(name, 1, Integer::sum);
      profiler.execute("stop,collapsed,file=" + dir.resolve(name + "-" + round + ".collapsed"));
    }
  }
}
