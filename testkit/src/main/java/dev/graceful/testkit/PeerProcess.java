package dev.graceful.testkit;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A real peer process ({@code openssl s_server}, {@code s_client}, graceful's own command line).
 * Its merged output is collected by a reader thread; tests wait for lines with a deadline (a
 * condition variable, not sleep polling).
 */
public final class PeerProcess implements AutoCloseable {
  private final Process process;
  private final List<String> lines = new ArrayList<>();
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private boolean ended;

  private PeerProcess(List<String> command) {
    try {
      process = new ProcessBuilder(command).redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new UncheckedIOException(
          missingProgram(command.get(0)).orElse("cannot start " + command), e);
    }
    Thread reader = new Thread(this::collect, "openssl-output");
    reader.setDaemon(true);
    reader.start();
  }

  /**
   * One line naming a peer program this machine lacks and the Debian package that installs it
   * ({@code .ci/run} installs them all), or empty when {@code program} is found or not one of the
   * test peers.
   */
  static java.util.Optional<String> missingProgram(String program) {
    String pkg =
        switch (program) {
          case "openssl" -> "openssl";
          case "gtlsclient" -> "ngtcp2-client";
          case "gtlsserver", "/usr/sbin/gtlsserver" -> "ngtcp2-server";
          default -> null;
        };
    if (pkg == null || onPath(program)) {
      return java.util.Optional.empty();
    }
    return java.util.Optional.of(
        "test peer '"
            + program
            + "' is not installed: apt-get install "
            + pkg
            + " (or run .ci/run, which installs every peer)");
  }

  private static boolean onPath(String program) {
    if (program.contains("/")) {
      return java.nio.file.Files.isExecutable(java.nio.file.Path.of(program));
    }
    String path = System.getenv().getOrDefault("PATH", "");
    for (String dir : path.split(java.io.File.pathSeparator)) {
      if (!dir.isEmpty() && java.nio.file.Files.isExecutable(java.nio.file.Path.of(dir, program))) {
        return true;
      }
    }
    return false;
  }

  /** Starts any command. */
  public static PeerProcess command(List<String> command) {
    return new PeerProcess(command);
  }

  /** Starts {@code openssl} with these arguments. */
  public static PeerProcess start(String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add("openssl");
    cmd.addAll(List.of(args));
    return new PeerProcess(cmd);
  }

  /** Starts s_server on {@code port} and waits until it listens. */
  public static PeerProcess server(int port, TestCerts certs, String... extra) {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                "openssl",
                "s_server",
                "-accept",
                "127.0.0.1:" + port,
                "-cert",
                certs.certFile().toString(),
                "-key",
                certs.keyFile().toString()));
    cmd.addAll(List.of(extra));
    PeerProcess p = new PeerProcess(cmd);
    p.awaitLine("ACCEPT", Duration.ofSeconds(10));
    return p;
  }

  public static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void collect() {
    try (BufferedReader r =
        new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        lock.lock();
        try {
          lines.add(line);
          changed.signalAll();
        } finally {
          lock.unlock();
        }
      }
    } catch (IOException ignored) {
      // process gone
    } finally {
      lock.lock();
      try {
        ended = true;
        changed.signalAll();
      } finally {
        lock.unlock();
      }
    }
  }

  /** Waits until a line contains {@code text}; fails with the output so far after {@code max}. */
  public String awaitLine(String text, Duration max) {
    long deadline = System.nanoTime() + max.toNanos();
    lock.lock();
    try {
      int from = 0; // lines only grow: scan each once (servers can print tens of thousands)
      for (; ; ) {
        for (; from < lines.size(); from++) {
          String l = lines.get(from);
          if (l.contains(text)) {
            return l;
          }
        }
        long left = deadline - System.nanoTime();
        if (left <= 0 || ended) {
          throw new AssertionError("the peer never printed '" + text + "'; output:\n" + tail());
        }
        changed.awaitNanos(left);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    } finally {
      lock.unlock();
    }
  }

  /** Waits for the process to end and its output to be fully read. */
  public int awaitExit(Duration max) {
    try {
      if (!process.waitFor(max.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new AssertionError("openssl did not exit; output:\n" + output());
      }
      lock.lock();
      try {
        long deadline = System.nanoTime() + max.toNanos();
        while (!ended && deadline - System.nanoTime() > 0) {
          changed.awaitNanos(deadline - System.nanoTime());
        }
      } finally {
        lock.unlock();
      }
      return process.exitValue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  public String output() {
    lock.lock();
    try {
      return String.join("\n", lines);
    } finally {
      lock.unlock();
    }
  }

  /** The last 60 lines, for failure messages. */
  public String tail() {
    lock.lock();
    try {
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
    } finally {
      lock.unlock();
    }
  }

  /** A copy of every line so far. */
  public List<String> lines() {
    lock.lock();
    try {
      return List.copyOf(lines);
    } finally {
      lock.unlock();
    }
  }

  /**
   * @return the process id
   */
  public long pid() {
    return process.pid();
  }

  public OutputStream stdin() {
    return process.getOutputStream();
  }

  public void send(String text) {
    try {
      stdin().write(text.getBytes(StandardCharsets.UTF_8));
      stdin().flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public void closeStdin() {
    try {
      stdin().close();
    } catch (IOException ignored) {
      // already gone
    }
  }

  /** Sends a signal by name (STOP, CONT, KILL) with the kill command. */
  public void signal(String name) {
    try {
      new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).start().waitFor();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  public void kill() {
    process.destroyForcibly();
    try {
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      signal("CONT");
      kill();
    }
  }
}
