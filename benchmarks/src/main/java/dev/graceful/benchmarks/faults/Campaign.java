package dev.graceful.benchmarks.faults;

import dev.graceful.core.LoopGroup;
import dev.graceful.testkit.TestCerts;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Runs rows one after the other, each for its share of the campaign's time with its own number of
 * trials at once, and counts what each row left behind against a baseline taken before it.
 */
final class Campaign implements AutoCloseable {
  /** What every row shares: certificates, graceful's loops, threads for the peers. */
  static final class Env implements AutoCloseable {
    final TestCerts certs = TestCerts.create();

    /** graceful's side. */
    final LoopGroup loops = LoopGroup.create(2);

    /** graceful used as the peer of graceful (DTLS servers, crowds of clients). */
    final LoopGroup peerLoops = LoopGroup.create(1);

    final ExecutorService peers = Executors.newCachedThreadPool(named("fault-peer"));
    final ScheduledExecutorService timer =
        Executors.newSingleThreadScheduledExecutor(named("fault-peer-timer"));

    List<LoopGroup> groups() {
      return List.of(loops, peerLoops);
    }

    @Override
    public void close() {
      peers.shutdownNow();
      timer.shutdownNow();
      loops.shutdown().block(Duration.ofSeconds(30));
      peerLoops.shutdown().block(Duration.ofSeconds(30));
    }
  }

  static ThreadFactory named(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  private final long seed;
  private final PrintStream out;
  private final java.util.Set<String> warmed = new java.util.HashSet<>();

  Campaign(long seed, PrintStream out) {
    this.seed = seed;
    this.out = out;
  }

  /** A trial's seed from the campaign's, the row's index and the trial's number. */
  static long trialSeed(long campaign, int row, long trial) {
    long z = campaign + 0x9E3779B97F4A7C15L * (((long) row << 32) + trial + 1);
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  List<Row.Result> run(Env env, List<Scenario> scenarios, Duration total) throws Exception {
    long end = System.nanoTime() + total.toNanos();
    List<Row.Result> results = new ArrayList<>();
    for (int i = 0; i < scenarios.size(); i++) {
      Scenario s = scenarios.get(i);
      // the time left, shared among the rows left: a row that ran over (its first trial always
      // runs whole) shortens the others, so the campaign keeps to its duration
      double weights =
          scenarios.subList(i, scenarios.size()).stream().mapToDouble(Scenario::weight).sum();
      long left = Math.max(0, (end - System.nanoTime()) / 1_000_000);
      long slice = (long) (left * s.weight() / weights);
      Row row = run(env, i, s, slice);
      Row.Result r = row.result();
      results.add(r);
      out.println(FaultCampaign.line(r));
      out.flush();
    }
    return results;
  }

  private Row run(Env env, int index, Scenario s, long sliceMillis) throws Exception {
    Row row = new Row(s);
    long t0 = System.nanoTime();
    AtomicLong next = new AtomicLong(0);
    if (warmed.add(s.protocol() + " " + s.stack() + " " + s.peer())) {
      // the first row of a protocol, graceful's stack and peer runs one trial alone (counted)
      // before the baseline, so that what such trials start once (a scheduler's threads, a class's
      // first descriptors, a shared server) is not a leak
      trial(row, s, trialSeed(seed, index, next.getAndIncrement()));
    }
    Resources base = settle(env, null);
    long end = t0 + sliceMillis * 1_000_000;
    List<Thread> workers = new ArrayList<>();
    for (int w = 0; w < s.parallel(); w++) {
      Thread t =
          new Thread(
              () -> {
                long k;
                // every row runs at least one trial, however little time is left for it
                while ((k = next.getAndIncrement()) == 0 || System.nanoTime() < end) {
                  trial(row, s, trialSeed(seed, index, k));
                }
              },
              "fault-trial-" + w);
      t.setDaemon(true);
      workers.add(t);
      t.start();
    }
    for (Thread t : workers) {
      t.join();
    }
    Resources after = settle(env, base);
    Resources.Excess excess = after.over(base);
    row.leaked(excess.count(), excess.what());
    row.took((System.nanoTime() - t0) / 1_000_000);
    return row;
  }

  private static void trial(Row row, Scenario s, long seed) {
    Verdict v;
    try {
      v = s.trial().run(seed);
    } catch (Throwable t) {
      v = Verdict.unexpected("harness", "the trial failed: " + t);
    }
    row.add(seed, v);
  }

  /**
   * Counts resources; with a baseline, counts again (up to 30 s) until nothing is above it, since
   * sockets and threads a trial closed take a moment to go (a Kwik connection's threads end once
   * its closing period is over).
   */
  static Resources settle(Env env, Resources base) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    for (; ; ) {
      Resources now = Resources.now(env.groups());
      if (base == null || now.over(base).count() == 0 || System.nanoTime() > deadline) {
        return now;
      }
      Thread.sleep(50);
    }
  }

  @Override
  public void close() {}
}
