package dev.graceful.benchmarks;

import dev.graceful.core.DrainStatus;
import dev.graceful.core.LoopGroup;
import dev.graceful.core.Outcome;
import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.quic.QuicConnection;
import dev.graceful.quic.QuicOptions;
import dev.graceful.quic.QuicStreamHandle;
import dev.graceful.quic.internal.KwikInternals;
import dev.graceful.testkit.SelfSignedCertificate;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import tech.kwik.core.QuicClientConnection;
import tech.kwik.core.QuicStream;
import tech.kwik.core.server.ApplicationProtocolConnection;
import tech.kwik.core.server.ServerConnectionConfig;
import tech.kwik.core.server.ServerConnector;

/**
 * QUIC on Kwik, loopback, one JVM: rapid close latency, RFC close duration against 3×PTO, and the
 * time to drain 2 MB against the time an application-level acknowledgement takes.
 */
@Command(
    name = "quic",
    mixinStandardHelpOptions = true,
    description = "QUIC close latencies on Kwik (loopback).")
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

  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final Duration ACK_DEADLINE = Duration.ofSeconds(10);
  private int ackStalls;
  private LoopGroup loops;
  private int port;

  @Override
  public Integer call() throws Exception {
    System.setProperty("tech.kwik.core.no-security-warnings", "true");
    reactor.core.publisher.Hooks.onErrorDropped(e -> {}); // reads cut short by a close
    loops = LoopGroup.create(1);
    ServerConnector server = startServer();
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
      Progress warming = Progress.everySecond("quic warm-up", warmup);
      for (int i = 0; i < warmup; i++) {
        rapidOnce();
        if (i % 10 == 0) {
          drainOnce(false);
          ackOnce();
        }
        warming.step("");
      }
      double[] rapid = new double[rapidRuns];
      double[] raw = new double[rapidRuns];
      boolean[] rapidGc = new boolean[rapidRuns];
      boolean[] rawGc = new boolean[rapidRuns];
      Progress pairs = Progress.everySecond("quic rapid and Kwik close pairs", rapidRuns);
      for (int i = 0; i < rapidRuns; i++) { // interleaved with Kwik's own close() as the baseline
        Timed a = rapidOnce();
        rapid[i] = a.ms();
        rapidGc[i] = a.collected();
        Timed b = rawCloseOnce();
        raw[i] = b.ms();
        rawGc[i] = b.collected();
        pairs.step("");
      }
      Stats r = new Stats(rapid);
      Stats k = new Stats(raw);
      System.out.printf(
          "# rapid and Kwik closes %s; Kwik's close threads started %s%n",
          settleMs > 0 ? settleMs + " ms after the handshake" : "right after the handshake",
          noCloseThreadsAhead ? "by the close" : "when graceful wraps the connection");
      System.out.printf(
          "rapid close (subscribe to SENT), n=%d: p50 %.3f ms, p99 %.3f ms, max %.3f ms%n",
          r.n(), r.median(), r.p(99), r.max());
      System.out.printf(
          "Kwik close(code, reason) called directly, n=%d: p50 %.3f ms, p99 %.3f ms, max %.3f ms%n",
          k.n(), k.median(), k.p(99), k.max());
      System.out.printf(
          "closes during which the JVM collected garbage: rapid %d of %d, Kwik %d of %d; without them: rapid p99 %.3f ms, Kwik p99 %.3f ms%n",
          count(rapidGc),
          rapidRuns,
          count(rawGc),
          rapidRuns,
          new Stats(without(rapid, rapidGc)).p(99),
          new Stats(without(raw, rawGc)).p(99));

      double[] rfcElapsed = new double[rfcRuns];
      double[] rfcPto3 = new double[rfcRuns];
      double[] rfcOver = new double[rfcRuns];
      Progress rfcs = Progress.everySecond("quic RFC closes", rfcRuns);
      for (int i = 0; i < rfcRuns; i++) {
        double[] e = rfcOnce();
        rfcElapsed[i] = e[0];
        rfcPto3[i] = e[1];
        rfcOver[i] = e[0] - e[1];
        rfcs.step("");
      }
      double[] silentOver = new double[Math.max(1, rfcRuns / 5)];
      double[] silentPto3 = new double[silentOver.length];
      Progress silences = Progress.everySecond("quic RFC closes into silence", silentOver.length);
      for (int i = 0; i < silentOver.length; i++) {
        double[] e = rfcIntoSilence();
        silentOver[i] = e[0] - e[1];
        silentPto3[i] = e[1];
        silences.step("");
      }
      Stats so = new Stats(silentOver);
      System.out.printf(
          "RFC close, peer silent after the handshake (full closing period), n=%d: 3xPTO p50 %.1f ms; elapsed - 3xPTO: p50 %.2f ms, max %.2f ms%n",
          so.n(), new Stats(silentPto3).median(), so.median(), so.max());
      Stats re = new Stats(rfcElapsed);
      Stats rp = new Stats(rfcPto3);
      Stats ro = new Stats(rfcOver);
      System.out.printf(
          "RFC close (subscribe to COMPLETE), n=%d: p50 %.2f ms, max %.2f ms; 3xPTO p50 %.2f ms; elapsed - 3xPTO: p50 %.2f ms, max %.2f ms%n",
          re.n(), re.median(), re.max(), rp.median(), ro.median(), ro.max());

      double[] drained = new double[drainRuns];
      double[] hooked = new double[drainRuns];
      double[] acked = new double[drainRuns];
      Progress drains = Progress.everyStep("quic drain rounds", drainRuns);
      for (int i = 0; i < drainRuns; i++) { // interleaved, so drift hits all three alike
        drained[i] = drainOnce(false);
        acked[i] = ackOnce();
        hooked[i] = drainOnce(true);
        drains.step("drain, application ack, drain with acknowledgedBy");
      }
      Stats d = new Stats(drained);
      Stats a = new Stats(java.util.Arrays.stream(acked).filter(x -> !Double.isNaN(x)).toArray());
      Stats h = new Stats(hooked);
      System.out.printf(
          "drain %d bytes (write start to CONNECTION_CLOSE), n=%d: graceful drain p50 %.1f ms (max %.1f); application ack p50 %.1f ms (max %.1f); drain with acknowledgedBy p50 %.1f ms%n",
          size, d.n(), d.median(), d.max(), a.median(), a.max(), h.median());
      System.out.printf(
          "application acks that never came (Kwik's stream stopped sending; nothing restarted it within %d s): %d of %d%n",
          ACK_DEADLINE.toSeconds(),
          ackStalls,
          drainRuns + warmup / 10 + (warmup % 10 == 0 ? 0 : 1));
      System.out.printf(
          "summary: rapidP50Ms=%.3f rapidP99Ms=%.3f kwikCloseP99Ms=%.3f silentRfcMinus3PtoMaxMs=%.2f drain/appAck=%.2f appAckStalls=%d%n",
          r.median(), r.p(99), k.p(99), so.max(), d.median() / a.median(), ackStalls);
      QuicResults results =
          new QuicResults(
              System.getProperty("java.vm.name"),
              KwikInternals.available(),
              noCloseThreadsAhead ? "AT_CLOSE" : "AHEAD",
              settleMs,
              warmup,
              QuicResults.Sample.of(rapid),
              QuicResults.Sample.of(raw),
              count(rapidGc),
              count(rawGc),
              Json.number(new Stats(without(rapid, rapidGc)).p(99)),
              Json.number(new Stats(without(raw, rawGc)).p(99)),
              QuicResults.Sample.of(rfcElapsed),
              QuicResults.Sample.of(rfcPto3),
              QuicResults.Sample.of(rfcOver),
              QuicResults.Sample.of(silentPto3),
              QuicResults.Sample.of(silentOver),
              size,
              QuicResults.Sample.of(drained),
              QuicResults.Sample.of(acked),
              QuicResults.Sample.of(hooked),
              ackStalls,
              drainRuns + warmup / 10 + (warmup % 10 == 0 ? 0 : 1),
              Json.number(d.median() / a.median()));
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
      return 0;
    } finally {
      server.close();
      loops.shutdown().block(WAIT);
    }
  }

  private QuicClientConnection connect() throws Exception {
    return connect(port);
  }

  private QuicClientConnection connect(int via) throws Exception {
    QuicClientConnection c =
        QuicClientConnection.newBuilder()
            .uri(URI.create("https://127.0.0.1:" + via))
            .applicationProtocol("bench")
            .noServerCertificateCheck()
            .maxIdleTimeout(Duration.ofSeconds(30))
            .logger(new tech.kwik.core.log.NullLogger())
            .build();
    c.connect();
    return c;
  }

  /**
   * @return collections so far, all the JVM's collectors together: a close during which this
   *     changed may have waited for a collection (a stop-the-world pause, or its threads taking the
   *     cores)
   */
  private static long collections() {
    long n = 0;
    for (java.lang.management.GarbageCollectorMXBean gc :
        java.lang.management.ManagementFactory.getGarbageCollectorMXBeans()) {
      n += Math.max(0, gc.getCollectionCount());
    }
    return n;
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

  /**
   * One timed close.
   *
   * @param ms how long it took
   * @param collected whether the JVM collected garbage between its start and its end
   */
  private record Timed(double ms, boolean collected) {}

  /**
   * @return from subscription to SENT
   */
  private Timed rapidOnce() throws Exception {
    QuicConnection c = QuicConnection.of(connect(), loops, "rapid", options());
    settle();
    long gc = collections();
    long t0 = System.nanoTime();
    ShutdownResult r = c.shutdown(ShutdownSpec.bidirectional().rapid().noStreamFlush()).block(WAIT);
    long t1 = System.nanoTime();
    boolean collected = collections() != gc;
    check(r != null && r.outcome() == Outcome.SENT, "rapid gave " + r);
    return new Timed((t1 - t0) / 1e6, collected);
  }

  /**
   * @return Kwik's own close(0, ""), called on this thread
   */
  private Timed rawCloseOnce() throws Exception {
    QuicClientConnection kwik = connect();
    settle();
    long gc = collections();
    long t0 = System.nanoTime();
    kwik.close(0, "");
    long t1 = System.nanoTime();
    return new Timed((t1 - t0) / 1e6, collections() != gc);
  }

  /** --idle: what wrapped connections that stay open cost in threads and resident memory. */
  private int idleCost() throws Exception {
    int threads0 = Thread.activeCount();
    long rss0 = residentKiB();
    java.util.List<QuicConnection> open = new java.util.ArrayList<>();
    for (int i = 0; i < idle; i++) {
      open.add(QuicConnection.of(connect(), loops, "idle", options()));
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

  private void settle() throws InterruptedException {
    if (settleMs > 0) {
      Thread.sleep(settleMs);
    }
  }

  /**
   * @return {ms from subscription to COMPLETE, 3×PTO in ms when the close began}
   */
  private double[] rfcOnce() throws Exception {
    QuicClientConnection kwik = connect();
    QuicConnection c = QuicConnection.of(kwik, loops, "rfc", options());
    int pto = KwikInternals.pto(kwik).orElse(-1);
    long t0 = System.nanoTime();
    ShutdownResult r = c.shutdown(ShutdownSpec.bidirectional().rfc().noStreamFlush()).block(WAIT);
    long t1 = System.nanoTime();
    check(r != null && r.outcome() == Outcome.COMPLETE, "rfc gave " + r);
    return new double[] {(t1 - t0) / 1e6, 3.0 * pto};
  }

  /**
   * The closing period in full: the client reaches the server through a relay that drops everything
   * once the connection is up, so no answer ends the period early.
   *
   * @return {ms from subscription to COMPLETE, 3×PTO in ms when the close began}
   */
  private double[] rfcIntoSilence() throws Exception {
    try (dev.graceful.testkit.LossyRelay relay =
        new dev.graceful.testkit.LossyRelay(
            new InetSocketAddress("127.0.0.1", port), (up, d) -> false)) {
      QuicClientConnection kwik = connect(relay.address().getPort());
      QuicConnection c = QuicConnection.of(kwik, loops, "rfc-silent", options());
      relay.drop((up, d) -> true);
      int pto = KwikInternals.pto(kwik).orElse(-1);
      long t0 = System.nanoTime();
      ShutdownResult r = c.shutdown(ShutdownSpec.bidirectional().rfc().noStreamFlush()).block(WAIT);
      long t1 = System.nanoTime();
      check(r != null && r.outcome() == Outcome.COMPLETE, "rfc gave " + r);
      return new double[] {(t1 - t0) / 1e6, 3.0 * pto};
    }
  }

  /**
   * @return ms from the first write to the close, with graceful's drain (or its acknowledgedBy
   *     hook)
   */
  private double drainOnce(boolean hook) throws Exception {
    QuicConnection c = QuicConnection.of(connect(), loops, "drain", options());
    QuicStreamHandle s = c.openStream().block(WAIT);
    if (hook) {
      s.acknowledgedBy(readOneByte(s.kwik()));
    }
    long t0 = System.nanoTime();
    long[] written = new long[1];
    s.write(ByteBuffer.allocate(size)).subscribe(null, null, () -> written[0] = System.nanoTime());
    ShutdownResult r = c.shutdown(ShutdownSpec.bidirectional().rapid().timeout(WAIT)).block(WAIT);
    long t1 = System.nanoTime();
    check(r != null && r.drained() == DrainStatus.DRAINED, "drain gave " + r);
    if (verbose) {
      System.out.printf(
          "  drain%s: write returned after %.1f ms, closed after %.1f ms, %d stall restarts%n",
          hook ? " (acknowledgedBy)" : "",
          (written[0] - t0) / 1e6,
          (t1 - t0) / 1e6,
          c.stallRecoveries().block(WAIT));
    }
    return (t1 - t0) / 1e6;
  }

  /**
   * @return ms from the first write until the peer application's one-byte acknowledgement arrived
   */
  private double ackOnce() throws Exception {
    QuicConnection c = QuicConnection.of(connect(), loops, "ack", options());
    QuicStreamHandle s = c.openStream().block(WAIT);
    Mono<Integer> ack = readOneByte(s.kwik());
    long t0 = System.nanoTime();
    // The application's own write on Kwik's stream, which graceful does not watch: the baseline
    // without graceful (a write through the handle would have its stalls restarted)
    Mono.fromCallable(
            () -> {
              s.kwik().getOutputStream().write(new byte[size]);
              return size;
            })
        .subscribeOn(Schedulers.boundedElastic())
        .subscribe(null, e -> {});
    Integer b =
        ack.timeout(ACK_DEADLINE)
            .onErrorResume(java.util.concurrent.TimeoutException.class, e -> Mono.empty())
            .block(WAIT);
    long t1 = System.nanoTime();
    c.shutdown(ShutdownSpec.bidirectional().rapid().noStreamFlush()).block(WAIT);
    if (b == null) {
      // Kwik's lost wakeup: the stream stopped sending and nothing restarts it
      ackStalls++;
      return Double.NaN;
    }
    check(b == 1, "bad acknowledgement " + b);
    return (t1 - t0) / 1e6;
  }

  private static Mono<Integer> readOneByte(QuicStream stream) {
    return Mono.fromCallable(() -> stream.getInputStream().read())
        .subscribeOn(Schedulers.boundedElastic());
  }

  private static void check(boolean ok, String what) {
    if (!ok) {
      throw new IllegalStateException(what);
    }
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
    } catch (java.io.IOException ignored) {
      // the connection ended
    }
  }
}
