package dev.graceful.benchmarks.boot;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Spring Boot sample application run as a server process: TLS on one port, cleartext HTTP/1.1
 * on another, its logs (stderr) and its stdout (the shutdown's JSON summary line) in files.
 */
final class SampleServer implements AutoCloseable {
  private static final Pattern CERTIFICATE =
      Pattern.compile("self-signed certificate .*: (\\S+\\.pem)");
  private static final Pattern G1_USED = Pattern.compile("heap\\s+total \\d+K, used (\\d+)K");

  private final Process process;
  private final int tlsPort;
  private final int cleartextPort;
  private final Path log;
  private final Path stdout;

  private SampleServer(Process process, int tlsPort, int cleartextPort, Path log) {
    this.process = process;
    this.tlsPort = tlsPort;
    this.cleartextPort = cleartextPort;
    this.log = log;
    this.stdout = Path.of(log + ".stdout");
  }

  /**
   * Starts the sample and waits until both ports answer TCP connections.
   *
   * @param jar the sample's executable jar
   * @param starter false runs it with the starter switched off and Boot's own {@code
   *     server.shutdown=graceful}
   * @param jvmArgs the server JVM's options
   */
  static SampleServer start(
      Path jar, boolean starter, List<String> jvmArgs, Path log, long timeoutMs)
      throws IOException, InterruptedException {
    if (!Files.isRegularFile(jar)) {
      throw new IOException(
          "no sample application at " + jar + " (build it: mvn -B package -DskipTests)");
    }
    int tls = freePort();
    int cleartext = freePort();
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmArgs);
    command.addAll(
        List.of(
            "-jar",
            jar.toString(),
            "--server.port=" + tls,
            "--sample.tls=true",
            "--sample.cleartext-port=" + cleartext,
            // the load opens thousands of connections: keep per-request logging quiet
            "--logging.level.dev.graceful.spring.sample.SampleHandlers=warn"));
    if (!starter) {
      command.addAll(List.of("--graceful.shutdown.enabled=false", "--server.shutdown=graceful"));
    }
    Process p =
        new ProcessBuilder(command)
            .redirectError(ProcessBuilder.Redirect.to(log.toFile()))
            .redirectOutput(ProcessBuilder.Redirect.to(Path.of(log + ".stdout").toFile()))
            .start();
    SampleServer server = new SampleServer(p, tls, cleartext, log);
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    while (!(answers(tls) && answers(cleartext))) {
      if (!p.isAlive()) {
        throw new IOException(
            "the sample exited with " + p.exitValue() + " before it listened; its log: " + log);
      }
      if (System.nanoTime() > deadline) {
        server.close();
        throw new IOException(
            "the sample did not listen within " + timeoutMs + " ms; its log: " + log);
      }
      TimeUnit.MILLISECONDS.sleep(100);
    }
    return server;
  }

  private static boolean answers(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  int tlsPort() {
    return tlsPort;
  }

  int cleartextPort() {
    return cleartextPort;
  }

  long pid() {
    return process.pid();
  }

  /** The sample's self-signed certificate, named in its log at start. */
  Path certificate() throws IOException {
    for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
      Matcher m = CERTIFICATE.matcher(line);
      if (m.find()) {
        return Path.of(m.group(1));
      }
    }
    throw new IOException("the sample's log names no self-signed certificate: " + log);
  }

  /** Heap in use after a full collection (G1's figure from {@code jcmd GC.heap_info}), in bytes. */
  long heapAfterGc() throws IOException, InterruptedException {
    jcmd("GC.run");
    String info = jcmd("GC.heap_info");
    Matcher m = G1_USED.matcher(info);
    if (!m.find()) {
      throw new IOException(
          "unrecognised jcmd GC.heap_info output (is the server on G1?):\n" + info);
    }
    return Long.parseLong(m.group(1)) * 1024;
  }

  private String jcmd(String what) throws IOException, InterruptedException {
    Process p =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                Long.toString(process.pid()),
                what)
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      throw new IOException("jcmd " + what + " failed: " + out);
    }
    return out;
  }

  /** Sends SIGTERM (on Linux and macOS: {@link Process#destroy()}). */
  void terminate() {
    process.destroy();
  }

  /**
   * @return the exit code, once the process ended
   */
  int awaitExit(long timeoutMs) throws InterruptedException {
    if (!process.waitFor(timeoutMs, TimeUnit.MILLISECONDS)) {
      process.destroyForcibly().waitFor();
      return -1;
    }
    return process.exitValue();
  }

  /** The JSON line the sample printed at the end of its shutdown, if any (once it exited). */
  Optional<String> summary() throws IOException {
    if (!Files.exists(stdout)) {
      return Optional.empty();
    }
    return Files.readAllLines(stdout, StandardCharsets.UTF_8).stream()
        .filter(l -> l.startsWith("{"))
        .reduce((a, b) -> b);
  }

  Path log() {
    return log;
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      process.destroyForcibly();
      try {
        process.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
