package dev.graceful.benchmarks;

import dev.graceful.core.LoopGroup;
import dev.graceful.core.Outcome;
import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.netty.quic.NettyQuicConnection;
import dev.graceful.quic.QuicConnection;
import dev.graceful.quic.QuicOptions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The quic subcommand's --first-close child: in a fresh JVM, one connection to the parent's peer,
 * its handshake done, then graceful's first rapid close timed from the call to SENT, or with {@code
 * --own} the stack's own first close (Kwik's {@code close(0, "")} to its return, Netty's close to
 * its future). It prints {@code first-close-ms <ms>}, the classes loaded during the close and the
 * close's window on the JVM's uptime clock, and exits.
 */
@Command(
    name = "quic-first-close",
    hidden = true,
    description = "one rapid close in this JVM, timed (a child of quic --first-close)")
final class QuicFirstClose implements Callable<Integer> {
  static final String PREFIX = "first-close-ms ";

  /** The child's second line: classes the JVM loaded during that close. */
  static final String CLASSES_PREFIX = "first-close-classes ";

  @Option(names = "--stack", required = true)
  String stack;

  @Option(names = "--port", required = true)
  int port;

  @Option(names = "--settle")
  int settleMs;

  @Option(names = "--no-close-threads-ahead")
  boolean noCloseThreadsAhead;

  /** Times the stack's own close instead (Kwik's close(0, ""), Netty's close to its future). */
  @Option(names = "--own")
  boolean own;

  @Override
  public Integer call() throws Exception {
    System.setProperty("tech.kwik.core.no-security-warnings", "true");
    reactor.core.publisher.Hooks.onErrorDropped(e -> {});
    ShutdownSpec rapid = ShutdownSpec.bidirectional().rapid().noStreamFlush();
    // every thread's class loading counts: the close's hops run on several
    java.lang.management.ClassLoadingMXBean classes =
        java.lang.management.ManagementFactory.getClassLoadingMXBean();
    java.lang.management.RuntimeMXBean runtime =
        java.lang.management.ManagementFactory.getRuntimeMXBean();
    long since;
    double ms;
    long loaded;
    switch (stack) {
      case "kwik" -> {
        if (own) {
          var kwik = KwikStack.connect(port);
          QuicStack.settle(settleMs);
          long c0 = classes.getTotalLoadedClassCount();
          since = runtime.getUptime();
          long t0 = System.nanoTime();
          kwik.close(0, "");
          ms = (System.nanoTime() - t0) / 1e6;
          loaded = classes.getTotalLoadedClassCount() - c0;
          break;
        }
        LoopGroup loops = LoopGroup.create(1);
        QuicConnection.warmUp(); // as an application that connects with Kwik itself does
        QuicConnection c =
            QuicConnection.of(
                KwikStack.connect(port),
                loops,
                "first-close",
                QuicOptions.defaults()
                    .closeThreads(
                        noCloseThreadsAhead
                            ? QuicOptions.CloseThreads.AT_CLOSE
                            : QuicOptions.CloseThreads.AHEAD));
        QuicStack.settle(settleMs);
        long c0 = classes.getTotalLoadedClassCount();
        since = runtime.getUptime();
        long t0 = System.nanoTime();
        ShutdownResult r = c.shutdown(rapid).block(QuicStack.WAIT);
        ms = (System.nanoTime() - t0) / 1e6;
        loaded = classes.getTotalLoadedClassCount() - c0;
        QuicStack.check(r != null && r.outcome() == Outcome.SENT, "rapid gave " + r);
      }
      case "netty" -> {
        try (NettyStack netty = new NettyStack(new QuicStack.Config(port, 0, settleMs, false))) {
          if (own) {
            NettyStack.Conn conn = netty.connect(port);
            QuicStack.settle(settleMs);
            long c0 = classes.getTotalLoadedClassCount();
            since = runtime.getUptime();
            long t0 = System.nanoTime();
            NettyStack.closeNatively(conn.quic());
            ms = (System.nanoTime() - t0) / 1e6;
            loaded = classes.getTotalLoadedClassCount() - c0;
            conn.release();
            break;
          }
          NettyQuicConnection.warmUp(); // as a client application does before it connects
          NettyStack.Conn conn = netty.connect(port);
          NettyQuicConnection c = NettyQuicConnection.of(conn.quic(), "first-close");
          QuicStack.settle(settleMs);
          long c0 = classes.getTotalLoadedClassCount();
          since = runtime.getUptime();
          long t0 = System.nanoTime();
          ShutdownResult r = c.shutdown(rapid).block(QuicStack.WAIT);
          ms = (System.nanoTime() - t0) / 1e6;
          loaded = classes.getTotalLoadedClassCount() - c0;
          QuicStack.check(r != null && r.outcome() == Outcome.SENT, "rapid gave " + r);
          conn.release();
        }
      }
      default -> throw new IllegalArgumentException("no QUIC stack " + stack);
    }
    System.out.println(PREFIX + ms);
    System.out.println(CLASSES_PREFIX + loaded);
    // for a class-loading log of the child (-Xlog:class+load with uptimemillis decorations): the
    // close's window on the JVM's uptime clock
    System.out.println("first-close-window-ms " + since + " " + (since + (long) Math.ceil(ms)));
    System.out.flush();
    // Kwik's and Netty's threads are not all daemons: Main exits the JVM
    return 0;
  }

  /**
   * What one child gave.
   *
   * @param ms its first close, NaN if it failed
   * @param classes classes the JVM loaded during that close, NaN if unknown
   * @param error why it failed, null if it did not
   */
  record Child(double ms, double classes, String error) {}

  /**
   * Runs one child JVM with this JVM's java binary and class path.
   *
   * @param stack kwik or netty
   * @param port the peer's port
   * @param settleMs pause between handshake and close
   * @param noCloseThreadsAhead Kwik's close threads left to the close
   * @param own time the stack's own close instead of graceful's rapid close
   * @param timeout the child is killed after this
   * @return its figure or its failure
   */
  static Child run(
      String stack,
      int port,
      int settleMs,
      boolean noCloseThreadsAhead,
      boolean own,
      Duration timeout) {
    Path out = null;
    Path err = null;
    Process p = null;
    try {
      out = Files.createTempFile("quic-first-close", ".out");
      err = Files.createTempFile("quic-first-close", ".err");
      List<String> cmd = new ArrayList<>();
      cmd.add(ProcessHandle.current().info().command().orElse("java"));
      cmd.add("-cp");
      cmd.add(System.getProperty("java.class.path"));
      cmd.add(Main.class.getName());
      cmd.add("quic-first-close");
      cmd.add("--stack=" + stack);
      cmd.add("--port=" + port);
      cmd.add("--settle=" + settleMs);
      if (noCloseThreadsAhead) {
        cmd.add("--no-close-threads-ahead");
      }
      if (own) {
        cmd.add("--own");
      }
      p =
          new ProcessBuilder(cmd)
              .redirectOutput(out.toFile())
              .redirectError(err.toFile())
              .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
              .start();
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        p.waitFor(10, TimeUnit.SECONDS);
        return new Child(
            Double.NaN,
            Double.NaN,
            "killed after " + timeout.toSeconds() + " s" + stderrTail(Files.readString(err)));
      }
      String stdout = Files.readString(out, StandardCharsets.UTF_8);
      String stderr = Files.readString(err, StandardCharsets.UTF_8);
      double ms = parse(stdout, PREFIX);
      if (p.exitValue() != 0 || Double.isNaN(ms)) {
        return new Child(Double.NaN, Double.NaN, "exit code " + p.exitValue() + stderrTail(stderr));
      }
      return new Child(ms, parse(stdout, CLASSES_PREFIX), null);
    } catch (IOException | RuntimeException e) {
      return new Child(Double.NaN, Double.NaN, "could not run the child JVM: " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Child(Double.NaN, Double.NaN, "interrupted");
    } finally {
      if (p != null && p.isAlive()) {
        p.destroyForcibly();
      }
      delete(out);
      delete(err);
    }
  }

  /**
   * @param stdout a child's standard output
   * @param prefix the line's label
   * @return the figure of its last line with that label; NaN if there is none
   */
  static double parse(String stdout, String prefix) {
    double ms = Double.NaN;
    for (String line : stdout.split("\\R")) {
      if (line.startsWith(prefix)) {
        try {
          ms = Double.parseDouble(line.substring(prefix.length()).trim());
        } catch (NumberFormatException e) {
          ms = Double.NaN;
        }
      }
    }
    return ms;
  }

  /**
   * @return the last lines of a child's standard error without its stack frames, for a failure's
   *     message
   */
  static String stderrTail(String stderr) {
    String[] lines =
        stderr
            .lines()
            .map(String::strip)
            .filter(l -> !l.isEmpty() && !l.startsWith("at ") && !l.matches("\\.\\.\\. \\d+ more"))
            .toArray(String[]::new);
    if (lines.length == 0) {
      return "";
    }
    int from = Math.max(0, lines.length - 5);
    return ": " + String.join(" | ", java.util.Arrays.copyOfRange(lines, from, lines.length));
  }

  private static void delete(Path p) {
    if (p != null) {
      try {
        Files.deleteIfExists(p);
      } catch (IOException ignored) {
        // a temporary file
      }
    }
  }
}
