package dev.graceful.benchmarks.faults;

import dev.graceful.core.Outcome;
import dev.graceful.core.ShutdownException.Reason;
import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.testkit.DatagramFaultRelay;
import dev.graceful.testkit.FaultRelay;
import dev.graceful.testkit.PeerProcess;
import dev.graceful.tls.TlsConnection;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import reactor.core.scheduler.Schedulers;

/**
 * Rows against OpenSSL itself ({@code openssl s_server}, one process per trial, so fewer trials):
 * graceful's TLS 1.2, TLS 1.3 and DTLS 1.2 clients while the server answers, is killed, or is
 * stopped.
 */
final class OpenSslFaults {
  private static final Duration LINE = Duration.ofSeconds(10);
  private final Campaign.Env env;

  OpenSslFaults(Campaign.Env env) {
    this.env = env;
  }

  List<Scenario> scenarios() {
    List<Scenario> rows = new ArrayList<>();
    for (String protocol : List.of("TLSv1.2", "TLSv1.3")) {
      rows.add(
          new Scenario(
              protocol,
              "client",
              "answering peer",
              "openssl s_server",
              "COMPLETE, the request printed by s_server",
              2,
              0.5,
              seed -> tls(protocol, 'a', seed)));
      rows.add(
          new Scenario(
              protocol,
              "client",
              "peer killed mid-shutdown",
              "openssl s_server",
              "TRUNCATED or TRANSPORT",
              2,
              0.5,
              seed -> tls(protocol, 'k', seed)));
      rows.add(
          new Scenario(
              protocol,
              "client",
              "peer stopped (SIGSTOP)",
              "openssl s_server",
              "TIMEOUT at the deadline",
              2,
              0.5,
              seed -> tls(protocol, 's', seed)));
    }
    rows.add(
        new Scenario(
            "DTLSv1.2",
            "client",
            "loss 20%, openssl peer",
            "openssl s_server",
            "COMPLETE or SENT+deadlineReached",
            2,
            0.7,
            this::dtls));
    return rows;
  }

  Verdict tls(String protocol, char fault, long seed) throws Exception {
    Random rnd = new Random(seed);
    int port = PeerProcess.freePort();
    String hello = "hello-" + Long.toHexString(seed) + "\n";
    try (PeerProcess server = PeerProcess.server(port, env.certs, "-naccept", "1");
        FaultRelay relay = new FaultRelay(new InetSocketAddress("127.0.0.1", port))) {
      TlsConnection c =
          TlsConnection.connect(
                  relay.address(),
                  env.certs.client(),
                  env.loops,
                  e -> e.setEnabledProtocols(new String[] {protocol}))
              .block(TlsPair.SETUP);
      try {
        c.send(ByteBuffer.wrap(hello.getBytes(StandardCharsets.UTF_8))).block(TlsPair.SETUP);
        server.awaitLine(hello.trim(), LINE);
        Duration deadline = Duration.ofSeconds(fault == 's' ? 1 : 3);
        if (fault != 'a') {
          server.signal("STOP");
        }
        if (fault == 'k') {
          env.timer.schedule(server::kill, rnd.nextInt(50), TimeUnit.MILLISECONDS);
        }
        Sink sink = new Sink();
        Ending e =
            Ending.await(
                c.shutdown(ShutdownSpec.bidirectional().timeout(deadline).readInto(sink)),
                deadline);
        if (e.hung()) {
          return Verdict.hung("no signal " + e.millis() + " ms after subscribing");
        }
        Verdict v = Verdict.ok(e.label());
        ShutdownResult r = e.result();
        switch (fault) {
          case 'a':
            return r != null && r.outcome() == Outcome.COMPLETE && !r.unauthenticatedEof()
                ? v
                : v.and("expected COMPLETE, got " + e.describe());
          case 'k':
            return e.isError(Reason.TRUNCATED, Reason.TRANSPORT)
                ? v
                : v.and("expected TRUNCATED or TRANSPORT, got " + e.describe());
          default:
            return e.isError(Reason.TIMEOUT) ? v : v.and("expected TIMEOUT, got " + e.describe());
        }
      } finally {
        c.release().onErrorResume(err -> reactor.core.publisher.Mono.empty()).block(TlsPair.SETUP);
      }
    }
  }

  Verdict dtls(long seed) throws Exception {
    int port = PeerProcess.freePort();
    String hello = "hello-" + Long.toHexString(seed) + "\n";
    try (PeerProcess server = PeerProcess.server(port, env.certs, "-dtls1_2", "-naccept", "1");
        DatagramFaultRelay relay =
            new DatagramFaultRelay(new InetSocketAddress("127.0.0.1", port), seed)) {
      TlsConnection c =
          TlsConnection.connectDatagram(
                  relay.address(),
                  env.certs.dtlsClient(),
                  env.loops,
                  e -> {},
                  Schedulers.parallel())
              .block(TlsPair.SETUP);
      try {
        c.send(ByteBuffer.wrap(hello.getBytes(StandardCharsets.UTF_8))).block(TlsPair.SETUP);
        server.awaitLine(hello.trim(), LINE);
        relay.faults(new DatagramFaultRelay.Faults(0.20, 0, 0));
        Duration deadline = Duration.ofMillis(800);
        Ending e =
            Ending.await(
                c.shutdown(
                    ShutdownSpec.bidirectional()
                        .timeout(deadline)
                        .settleAtDeadline()
                        .discardUnread()),
                deadline);
        if (e.hung()) {
          return Verdict.hung("no signal " + e.millis() + " ms after subscribing");
        }
        Verdict v = Verdict.ok(e.label());
        ShutdownResult r = e.result();
        if (r != null
            && (r.outcome() == Outcome.COMPLETE
                || (r.outcome() == Outcome.SENT && r.deadlineReached()))) {
          return v;
        }
        return v.and("expected COMPLETE or SENT+deadlineReached, got " + e.describe());
      } finally {
        c.release().onErrorResume(err -> reactor.core.publisher.Mono.empty()).block(TlsPair.SETUP);
      }
    }
  }
}
