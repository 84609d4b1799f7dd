package dev.graceful.tls;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graceful.testkit.PeerProcess;
import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * A {@link TlsServer} that runs out of file descriptors (EMFILE), for real: the server runs in a
 * child JVM under {@code ulimit -n 128} ({@link AcceptStorm}) and this test connects more silent
 * clients than it can take. Accepting then fails on every try while the connections wait in the
 * backlog; the server must pause accepting instead of spinning its loop, log the episode once, and
 * keep its loop serving.
 */
@EnabledOnOs(OS.LINUX) // ulimit and /proc
class AcceptBackoffIT {
  static final Duration WAIT = Duration.ofSeconds(30);

  /** How long the exhausted server is watched. */
  static final Duration WINDOW = Duration.ofSeconds(2);

  @Test
  void runningOutOfFileDescriptorsPausesAcceptingAndLogsOnce() throws Exception {
    String java = ProcessHandle.current().info().command().orElse("java");
    String classPath = System.getProperty("java.class.path");
    List<String> cmd =
        List.of(
            "bash",
            "-c",
            "ulimit -n 128 && exec \"$0\" -cp \"$1\" " + AcceptStorm.class.getName(),
            java,
            classPath);
    List<Socket> clients = new ArrayList<>();
    try (PeerProcess server = PeerProcess.command(cmd)) {
      int port = Integer.parseInt(server.awaitLine("port ", WAIT).replaceAll(".*port ", "").trim());
      for (int i = 0; i < 200; i++) {
        clients.add(new Socket("127.0.0.1", port)); // the backlog takes them; the server cannot
      }
      server.awaitLine("accept failed", WAIT);

      long cpuBefore = cpuTicks(server.pid());
      Thread.sleep(WINDOW.toMillis()); // a measuring window, not a poll: what does it do meanwhile?
      long cpu = cpuTicks(server.pid()) - cpuBefore;

      // one warning an episode: a new one only once an accept worked again (the process may free
      // a descriptor of its own, and the next accept takes it)
      long episodesEnded = episodesEnded(server);
      assertThat(warnings(server))
          .as("warnings, against %d episodes ended; output:%n%s", episodesEnded, server.tail())
          .isBetween(1L, 1 + episodesEnded);
      // a spinning accept loop burns a whole core: 100 ticks a second
      assertThat(cpu)
          .as("CPU ticks of the server in %s", WINDOW)
          .isLessThan(WINDOW.toSeconds() * 100 / 4);
      server.send("ping\n");
      server.awaitLine("alive", WAIT);
    } finally {
      for (Socket s : clients) {
        s.close();
      }
    }
  }

  private static long warnings(PeerProcess p) {
    return p.lines().stream().filter(l -> l.contains("accept failed")).count();
  }

  private static long episodesEnded(PeerProcess p) {
    return p.lines().stream().filter(l -> l.contains("accepting again")).count();
  }

  /**
   * @return user and system time of a process so far, in clock ticks (100 a second on Linux)
   */
  private static long cpuTicks(long pid) throws IOException {
    String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return Long.parseLong(f[11]) + Long.parseLong(f[12]); // fields 14 and 15 of stat(5)
  }
}
