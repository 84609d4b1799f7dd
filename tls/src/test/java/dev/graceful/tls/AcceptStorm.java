package dev.graceful.tls;

import dev.graceful.core.LoopGroup;
import dev.graceful.testkit.TestCerts;
import java.net.InetSocketAddress;
import java.time.Duration;

/**
 * A {@link TlsServer} in a process of its own, for {@link AcceptBackoffIT}: it runs under a low
 * {@code ulimit -n}, so that clients can exhaust its file descriptors. Prints {@code port N} once
 * listening, {@code alive} when asked on standard input (a line {@code ping}: the loop answers),
 * and exits when standard input closes.
 */
public final class AcceptStorm {
  private AcceptStorm() {}

  public static void main(String[] args) throws Exception {
    LoopGroup loops = LoopGroup.create(1);
    TlsServer server =
        TlsServer.bind(
                new InetSocketAddress("127.0.0.1", 0), TestCerts.create().server(), loops, e -> {})
            .block(Duration.ofSeconds(30));
    // as any server application does at startup, before descriptors can run out (the log's
    // formatter loads the time-zone rules from a file the first time)
    System.getLogger(AcceptStorm.class.getName())
        .log(System.Logger.Level.INFO, "listening on " + server.address());
    System.out.println("port " + server.address().getPort());
    java.io.BufferedReader in =
        new java.io.BufferedReader(
            new java.io.InputStreamReader(System.in, java.nio.charset.StandardCharsets.US_ASCII));
    String line;
    while ((line = in.readLine()) != null) {
      if (line.equals("ping")) {
        // answered by the accept loop itself: proof that it still runs tasks
        dev.graceful.core.spi.SelectorLoops.next(loops).execute(() -> System.out.println("alive"));
      }
    }
    System.exit(0);
  }
}
