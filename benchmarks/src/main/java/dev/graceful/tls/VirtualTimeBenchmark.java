package dev.graceful.tls;

import dev.graceful.core.ShutdownException;
import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.testkit.TestCerts;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import reactor.test.scheduler.VirtualTimeScheduler;

/**
 * The virtual-time target of BENCHMARKS.md: {@code --shutdowns} bidirectional TLS shutdowns, each
 * with a 30 s deadline, against peers that never answer, all ended by the deadline on a {@link
 * VirtualTimeScheduler} and each checked to be a TIMEOUT, in well under the 30 s they stand for.
 * The pairs are handshaken in memory first (untimed); the time printed runs from the first
 * subscription to the last check.
 */
@Command(
    name = "virtual-time",
    mixinStandardHelpOptions = true,
    description =
        "N shutdowns with 30 s deadlines ended and verified on virtual time; prints the wall time.")
public final class VirtualTimeBenchmark implements Callable<Integer> {
  @Option(names = "--shutdowns", description = "shutdowns per round (default 1000)")
  int shutdowns = 1000;

  @Option(names = "--rounds", description = "timed rounds; the first is also printed (default 5)")
  int rounds = 5;

  @Override
  public Integer call() throws Exception {
    TestCerts certs = TestCerts.create();
    Duration deadline = Duration.ofSeconds(30);
    List<Long> times = new ArrayList<>();
    boolean allVerified = true;
    for (int round = 1; round <= rounds; round++) {
      List<BioPair> pairs = new ArrayList<>(shutdowns);
      for (int i = 0; i < shutdowns; i++) {
        pairs.add(BioPair.handshaken(certs, "1.3"));
      }
      VirtualTimeScheduler clock = VirtualTimeScheduler.create();
      long start = System.nanoTime();
      List<CompletableFuture<ShutdownResult>> results = new ArrayList<>(shutdowns);
      for (BioPair p : pairs) {
        results.add(
            p.client
                .shutdown(ShutdownSpec.bidirectional().timeout(deadline).scheduler(clock))
                .toFuture());
        p.pump(); // close_notify out; the peer engine is never asked to answer
      }
      clock.advanceTimeBy(deadline.minusMillis(1));
      int early = 0;
      for (CompletableFuture<ShutdownResult> r : results) {
        early += r.isDone() ? 1 : 0;
      }
      clock.advanceTimeBy(Duration.ofMillis(1));
      int timedOut = 0;
      for (int i = 0; i < shutdowns; i++) {
        pairs.get(i).pump(); // the test thread is each pair's loop: the deadline's ending runs here
        CompletableFuture<ShutdownResult> r = results.get(i);
        if (r.isCompletedExceptionally() && r.handle((v, e) -> isTimeout(e)).join()) {
          timedOut++;
        }
      }
      long elapsed = System.nanoTime() - start;
      times.add(elapsed);
      boolean verified = early == 0 && timedOut == shutdowns;
      allVerified &= verified;
      System.out.printf(
          "round %d: %d shutdowns, 30 s deadlines: %d ended before the deadline, %d ended in TIMEOUT at it; %.1f ms wall%n",
          round, shutdowns, early, timedOut, elapsed / 1e6);
      clock.dispose();
    }
    times.sort(null);
    System.out.printf(
        "virtual-time: median %.1f ms wall for %d shutdowns with 30 s deadlines (target < 2000 ms), %s%n",
        times.get(times.size() / 2) / 1e6,
        shutdowns,
        allVerified ? "all verified" : "NOT all verified");
    return allVerified ? 0 : 1;
  }

  private static boolean isTimeout(Throwable e) {
    Throwable t = e instanceof java.util.concurrent.CompletionException ? e.getCause() : e;
    return t instanceof ShutdownException s && s.reason() == ShutdownException.Reason.TIMEOUT;
  }
}
