package dev.graceful.benchmarks.faults;

import dev.graceful.core.LoopGroup;
import dev.graceful.core.spi.SelectorLoops;
import dev.graceful.core.spi.loop.SelectorLoop;
import java.io.File;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What a row may leave behind, counted before and after it: open file descriptors ({@code
 * /proc/self/fd}), live threads (outside the bounded pools that keep idle threads for a while),
 * selector keys and queued loop tasks of graceful's loops.
 *
 * @param fds open descriptors
 * @param threads live threads outside the pools
 * @param keys valid selector keys over every loop
 * @param tasks loop tasks not yet run
 * @param threadSet those threads, to name new ones
 */
record Resources(int fds, int threads, int keys, int tasks, Set<Thread> threadSet) {
  /**
   * Threads of bounded pools that outlive their work for a while by design (Reactor's schedulers,
   * graceful's Kwik-call pool, the harness's own peer threads), and the JVM's own.
   */
  private static final List<String> POOLS =
      List.of(
          "parallel-",
          "boundedElastic-",
          "graceful-kwik",
          "fault-peer",
          "ForkJoinPool",
          "process reaper",
          "Common-Cleaner",
          "Attach Listener",
          "openssl-output",
          "Notification Thread",
          "Signal Dispatcher");

  static Resources now(List<LoopGroup> groups) {
    String[] fd = new File("/proc/self/fd").list();
    Set<Thread> threads =
        Thread.getAllStackTraces().keySet().stream()
            .filter(Thread::isAlive)
            .filter(t -> POOLS.stream().noneMatch(p -> t.getName().startsWith(p)))
            .collect(Collectors.toSet());
    int keys = 0;
    int tasks = 0;
    for (LoopGroup g : groups) {
      for (SelectorLoop l : SelectorLoops.of(g)) {
        int[] c = l.census().block(Duration.ofSeconds(10));
        keys += c[0];
        tasks += c[1];
      }
    }
    return new Resources(fd == null ? -1 : fd.length, threads.size(), keys, tasks, threads);
  }

  /**
   * @return how many of each resource are above {@code base}, as a count and a description
   */
  Excess over(Resources base) {
    long n = 0;
    List<String> what = new ArrayList<>();
    if (fds > base.fds) {
      n += fds - base.fds;
      what.add((fds - base.fds) + " fd");
    }
    if (threads > base.threads) {
      n += threads - base.threads;
      List<String> names =
          threadSet.stream()
              .filter(t -> !base.threadSet.contains(t))
              .map(Thread::getName)
              .limit(5)
              .toList();
      what.add((threads - base.threads) + " thread " + names);
    }
    if (keys > base.keys) {
      n += keys - base.keys;
      what.add((keys - base.keys) + " selector key");
    }
    if (tasks > base.tasks) {
      n += tasks - base.tasks;
      what.add((tasks - base.tasks) + " loop task");
    }
    return new Excess(n, String.join(", ", what));
  }

  record Excess(long count, String what) {}
}
