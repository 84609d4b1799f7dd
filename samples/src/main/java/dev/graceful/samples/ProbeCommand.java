package dev.graceful.samples;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graceful.core.LoopGroup;
import dev.graceful.tls.HostnameVerification;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Tells how a remote server ends connections: a handful of scenarios run against it with graceful's
 * own clients, each bounded by a deadline, then a table (one row per scenario) and one JSON line
 * holding every row. Exits 0 when every scenario ran, whatever the server did; 1 when one could not
 * run (no connection or no handshake); 2 for bad arguments and setup errors.
 */
@Command(
    name = "probe",
    mixinStandardHelpOptions = true,
    description = {
      "Tell how a remote server ends connections: whether it answers our close_notify, closes an",
      "HTTP/1.1 'Connection: close' exchange or an idle connection first (cleanly or truncated),",
      "resumes sessions after a clean and a fast close, and (--quic) how it closes QUIC connections.",
      "Prints a table, then one JSON line with every row."
    })
final class ProbeCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "HOST:PORT", description = "the server")
  String target;

  @Option(
      names = "--tls",
      paramLabel = "VERSION",
      description = "1.2, 1.3, both (the default) or none (with --quic: QUIC only)")
  String tls = "both";

  @Option(
      names = "--http",
      paramLabel = "PATH",
      description = "also send GET PATH with 'Connection: close' and read to the end")
  String http;

  @Option(
      names = "--quic",
      description =
          "also probe QUIC (UDP, same port): how the server closes when we wait and when we close")
  boolean quic;

  @Option(
      names = "--alpn",
      paramLabel = "P",
      description = "QUIC application protocol (default graceful)")
  String alpn = "graceful";

  @Option(
      names = "--timeout",
      paramLabel = "D",
      converter = DurationConverter.class,
      description = "the deadline of each wait on the server, e.g. 500ms, 3s (default 5s)")
  Duration timeout = Duration.ofSeconds(5);

  @Mixin ClientSecurityOptions security;

  @Override
  public Integer call() throws Exception {
    InetSocketAddress unresolved = Traffic.hostPort(target);
    List<String> versions =
        switch (tls) {
          case "1.2" -> List.of("1.2");
          case "1.3" -> List.of("1.3");
          case "both" -> List.of("1.2", "1.3");
          case "none" -> List.of();
          default ->
              throw new IllegalArgumentException(
                  "--tls must be 1.2, 1.3, both or none, not '" + tls + "'");
        };
    if (versions.isEmpty() && !quic) {
      throw new IllegalArgumentException("--tls none leaves nothing to probe without --quic");
    }
    if (http != null
        && (!http.startsWith("/") || http.chars().anyMatch(ch -> ch <= ' ' || ch >= 127))) {
      throw new IllegalArgumentException(
          "--http wants a path such as /index.html, not '" + http + "'");
    }
    security.validate();
    InetSocketAddress address = Traffic.resolve(unresolved);
    HostnameVerification verification = security.hostnameVerification();
    var contexts = TlsProbe.contexts(security);
    contexts.get(); // a context that cannot be made is a setup error, before any connection
    security.warnIfInsecure(System.err);

    List<ProbeRow> rows = new ArrayList<>();
    LoopGroup loops = LoopGroup.create(1);
    try {
      for (String v : versions) {
        rows.addAll(
            new TlsProbe(address, v, contexts, verification, loops, timeout, ProbeCommand::progress)
                .run(http));
      }
      if (quic) {
        rows.addAll(new QuicProbe(address, alpn, security, timeout).run(ProbeCommand::progress));
      }
    } finally {
      loops.shutdown().block(Duration.ofSeconds(10));
    }
    print(rows);
    return rows.stream().anyMatch(r -> r.error() != null) ? Main.SHUTDOWN_ERROR : Main.OK;
  }

  /** One step of the probe, on stderr: stdout is for the table and the JSON line. */
  private static void progress(String step) {
    System.err.println("graceful: probe: " + step);
  }

  private void print(List<ProbeRow> rows)
      throws com.fasterxml.jackson.core.JsonProcessingException {
    System.out.println(ProbeRow.header());
    rows.forEach(r -> System.out.println(r.line()));
    ObjectMapper json = new ObjectMapper();
    ObjectNode root = json.createObjectNode();
    ObjectNode probe = root.putObject("probe");
    probe.put("target", target);
    probe.put("timeoutMs", timeout.toMillis());
    ArrayNode list = probe.putArray("rows");
    rows.forEach(r -> list.add(r.json()));
    System.out.println(json.writeValueAsString(root));
    System.out.flush();
  }
}
