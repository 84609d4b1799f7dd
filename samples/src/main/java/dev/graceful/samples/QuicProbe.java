package dev.graceful.samples;

import dev.graceful.core.Initiator;
import dev.graceful.core.LoopGroup;
import dev.graceful.core.ShutdownException;
import dev.graceful.core.ShutdownMode;
import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.quic.QuicClient;
import dev.graceful.quic.QuicConnection;
import java.net.InetSocketAddress;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import reactor.core.publisher.Mono;

/**
 * The QUIC scenarios of {@code probe}: which code and reason the server closes with when we wait
 * for it (wait-peer), and what it sends back when we close first (an RFC close).
 */
final class QuicProbe {
  private final InetSocketAddress address;
  private final String alpn;
  private final ClientSecurityOptions security;
  private final Duration timeout;

  QuicProbe(
      InetSocketAddress address, String alpn, ClientSecurityOptions security, Duration timeout) {
    this.address = address;
    this.alpn = alpn;
    this.security = security;
    this.timeout = timeout;
  }

  /**
   * @return the wait-peer row, then the close-first row
   */
  List<ProbeRow> run(Consumer<String> progress) throws GeneralSecurityException {
    QuicClient client = QuicClientCommand.client(address, alpn, security);
    LoopGroup loops = LoopGroup.create(1);
    try {
      ProbeRow waiting =
          scenario(
              client,
              loops,
              "quic-wait-peer",
              ShutdownSpec.of(ShutdownMode.WAIT_PEER).timeout(timeout),
              progress);
      ProbeRow closing =
          scenario(
              client,
              loops,
              "quic-close-first",
              ShutdownSpec.of(ShutdownMode.RFC).timeout(timeout),
              progress);
      return List.of(waiting, closing);
    } finally {
      loops.shutdown().block(Duration.ofSeconds(10));
    }
  }

  private ProbeRow scenario(
      QuicClient client,
      LoopGroup loops,
      String scenario,
      ShutdownSpec spec,
      Consumer<String> progress) {
    progress.accept(scenario + ": start");
    ProbeRow row = scenario(client, loops, scenario, spec);
    progress.accept(scenario + ": " + row.verdict() + " (" + row.elapsedMs() + " ms)");
    return row;
  }

  private ProbeRow scenario(
      QuicClient client, LoopGroup loops, String scenario, ShutdownSpec spec) {
    QuicConnection c;
    try {
      c = client.connect(loops).timeout(timeout.plusSeconds(5)).block();
    } catch (RuntimeException e) {
      return ProbeRow.failed(scenario, "quic", e);
    }
    long start = System.nanoTime();
    try {
      ShutdownResult r = c.shutdown(spec).block();
      boolean peerFirst = r.initiator() == Initiator.PEER;
      String verdict =
          r.peerErrorCode().isPresent()
              ? (peerFirst ? "closed first" : "answered")
                  + " with code "
                  + r.peerErrorCode().getAsLong()
                  + " reason '"
                  + r.peerReason().orElse("")
                  + "'"
              : "no CONNECTION_CLOSE from the server (" + r.outcome() + ")";
      return new ProbeRow(
          scenario,
          "quic",
          "QUICv1",
          null,
          peerFirst,
          null,
          false,
          null,
          r.peerErrorCode().isPresent() ? r.peerErrorCode().getAsLong() : null,
          r.peerReason().orElse(null),
          r.connectionBytesRead(),
          r.elapsed().toMillis(),
          verdict,
          null);
    } catch (RuntimeException x) {
      ShutdownException e = TlsClientCommand.asShutdownError(x, c.connectionId());
      long elapsed = (System.nanoTime() - start) / 1_000_000;
      boolean timedOut = e.reason() == ShutdownException.Reason.TIMEOUT;
      String verdict =
          timedOut
              ? "nothing by the deadline"
              : e.reason().name().toLowerCase(java.util.Locale.ROOT) + ": " + e.getMessage();
      // the server said nothing: end it ourselves, without waiting
      c.shutdown(ShutdownSpec.of(ShutdownMode.RAPID))
          .onErrorResume(y -> Mono.empty())
          .block(timeout);
      return new ProbeRow(
          scenario, "quic", "QUICv1", null, false, null, timedOut, null, null, null, 0, elapsed,
          verdict, null);
    }
  }
}
