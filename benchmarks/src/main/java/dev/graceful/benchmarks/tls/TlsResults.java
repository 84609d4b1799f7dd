package dev.graceful.benchmarks.tls;

import dev.graceful.benchmarks.Distribution;
import dev.graceful.benchmarks.Json;
import java.util.List;

/**
 * The tls subcommand's figures in the results file: each as printed, with unknown ones null.
 *
 * @param serverJvm the server JVM's options
 * @param clientLoops client threads
 * @param start where the shutdowns were started (LOOP or CALLER)
 * @param serverCpus the CPUs the server JVM was kept to, or null
 * @param warmupRounds untimed rounds per stack and mode
 * @param rounds every timed round, in the order run
 * @param cases the summary table: per protocol, size, mode and stack, medians over its rounds
 * @param ratios the ratios of the medians, for TLS 1.3 at the largest size
 * @param paired the ratios within each round, for TLS 1.3 at the largest size
 * @param memory heap per connection, stack by stack (empty with --no-memory)
 * @param gracefulPendingBeyondRawBytes graceful's pending shutdown beyond the raw loop's, per
 *     connection
 * @param ok whether every client received a close_notify in every round
 */
record TlsResults(
    List<String> serverJvm,
    int clientLoops,
    String start,
    String serverCpus,
    int warmupRounds,
    List<RoundFigures> rounds,
    List<CaseFigures> cases,
    List<Ratio> ratios,
    List<Paired> paired,
    List<Memory> memory,
    Double gracefulPendingBeyondRawBytes,
    boolean ok) {

  /**
   * One timed round.
   *
   * @param round 1 to --repeat
   * @param stack STACK:LOOPS
   * @param protocol TLSv1.3 or TLSv1.2
   * @param n connections shut down
   * @param mode BIDIRECTIONAL or FAST
   * @param ms the server's span, from the first shutdown started to the last ended
   * @param shutdownsPerSecond n over the span
   * @param cpuMs the server JVM's CPU time over the span
   * @param busiestThreadCpuMs the CPU time of its busiest thread
   * @param clientCpuMs this JVM's CPU time, until every client had its close_notify
   * @param readsPerShutdown the server's read system calls per shutdown
   * @param writesPerShutdown its write system calls per shutdown
   * @param jitMs the server JIT's compilation time over the span
   * @param firstCloseNotifyMs when the first client received its close_notify, from the span's
   *     start
   * @param lastCloseNotifyMs when the last did
   * @param closeNotifyMs each client's close_notify arrival, from the span's start: percentiles
   * @param clientWakeups the client loops' wake-ups with ready keys
   * @param keysPerWakeup keys handled per wake-up
   * @param machineBusyMs the whole machine's busy CPU time (Linux /proc/stat)
   * @param machineStealMs its steal time
   * @param verified clients that received a close_notify
   * @param truncated clients whose connection ended without one
   * @param failed shutdowns that failed on the server
   * @param problem the last failure's description, or null
   * @param ok whether every client was verified and nothing failed
   */
  record RoundFigures(
      int round,
      String stack,
      String protocol,
      int n,
      String mode,
      double ms,
      double shutdownsPerSecond,
      double cpuMs,
      Double busiestThreadCpuMs,
      double clientCpuMs,
      Double readsPerShutdown,
      Double writesPerShutdown,
      Long jitMs,
      Double firstCloseNotifyMs,
      Double lastCloseNotifyMs,
      Distribution closeNotifyMs,
      long clientWakeups,
      double keysPerWakeup,
      Long machineBusyMs,
      Long machineStealMs,
      int verified,
      int truncated,
      int failed,
      String problem,
      boolean ok) {

    static RoundFigures of(int round, TlsBenchmark.Round x) {
      return new RoundFigures(
          round,
          x.stack(),
          x.protocol(),
          x.n(),
          x.mode().name(),
          x.ms(),
          x.n() / (x.ms() / 1000),
          x.cpuMs(),
          x.busiestMs() < 0 ? null : x.busiestMs(),
          x.clientCpuMs(),
          perShutdown(x.reads(), x.n()),
          perShutdown(x.writes(), x.n()),
          Json.known(x.jitMs()),
          x.firstNotifyMs() < 0 ? null : x.firstNotifyMs(),
          x.lastNotifyMs() < 0 ? null : x.lastNotifyMs(),
          Distribution.of(x.closeNotifyMs()),
          x.clientWakeups(),
          x.clientWakeups() == 0 ? 0.0 : (double) x.clientKeys() / x.clientWakeups(),
          Json.known(x.machine().busyMs()),
          Json.known(x.machine().stealMs()),
          x.verified(),
          x.truncated(),
          x.failed(),
          x.ok() ? null : x.problem(),
          x.ok());
    }

    private static Double perShutdown(long count, int n) {
      return count < 0 ? null : (double) count / n;
    }
  }

  /**
   * A line of the summary table.
   *
   * @param protocol TLSv1.3 or TLSv1.2
   * @param n connections per round
   * @param mode BIDIRECTIONAL or FAST
   * @param stack STACK:LOOPS
   * @param medianMs the median span
   * @param shutdownsPerSecond n over the median span
   * @param cpuMsPer1000 the median server CPU time per 1000 shutdowns
   * @param clientCpuMs the median client CPU time
   * @param busyCores median (server + client CPU) over the span, bidirectional only
   * @param closeNotifyMs close_notify arrivals from the span's start, all rounds' clients together
   * @param verifiedRounds rounds where every client was verified
   * @param rounds rounds
   */
  record CaseFigures(
      String protocol,
      int n,
      String mode,
      String stack,
      double medianMs,
      double shutdownsPerSecond,
      double cpuMsPer1000,
      double clientCpuMs,
      Double busyCores,
      Distribution closeNotifyMs,
      long verifiedRounds,
      int rounds) {}

  /**
   * A ratio of two stacks' medians.
   *
   * @param protocol TLSv1.3
   * @param n the largest size
   * @param mode BIDIRECTIONAL or FAST
   * @param name what over what, e.g. "graceful:2/netty:2 shutdowns/s" or "graceful:1/raw:1 cpu"
   * @param value the ratio
   */
  record Ratio(String protocol, int n, String mode, String name, double value) {}

  /**
   * A ratio within each round, where both stacks ran back to back.
   *
   * @param protocol TLSv1.3
   * @param n the largest size
   * @param mode BIDIRECTIONAL or FAST
   * @param name what over what, e.g. "graceful:2/netty:2"
   * @param of "shutdowns/s" or "loop-thread cpu"
   * @param perRound the ratio in each round, in order
   * @param median their median
   * @param min the smallest
   * @param max the largest
   */
  record Paired(
      String protocol,
      int n,
      String mode,
      String name,
      String of,
      double[] perRound,
      double median,
      double min,
      double max) {}

  /**
   * Heap per connection.
   *
   * @param stack STACK:LOOPS
   * @param idleBytesPerConnection retained by open, idle connections
   * @param pendingShutdownBytesPerConnection retained while their shutdowns wait for silent peers
   * @param threads the server JVM's threads then
   */
  record Memory(
      String stack,
      double idleBytesPerConnection,
      double pendingShutdownBytesPerConnection,
      int threads) {}
}
