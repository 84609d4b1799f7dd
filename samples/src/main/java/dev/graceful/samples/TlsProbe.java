package dev.graceful.samples;

import dev.graceful.core.LoopGroup;
import dev.graceful.core.ShutdownException;
import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.core.TransportPolicy;
import dev.graceful.tls.HostnameVerification;
import dev.graceful.tls.TlsConnection;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import reactor.core.publisher.Mono;

/**
 * The TLS scenarios of {@code probe} against one server and one TLS version, each on connections of
 * its own and each bounded by the deadline: how the server answers our close, how it ends an HTTP
 * exchange that asked it to close, what it does with an idle connection, and whether it resumes
 * sessions after a clean and after a fast close.
 */
final class TlsProbe {
  private final InetSocketAddress address;
  private final String version;
  private final String protocol;
  private final Supplier<SSLContext> contexts;
  private final HostnameVerification verification;
  private final LoopGroup loops;
  private final Duration timeout;
  private final Consumer<String> progress;

  /**
   * @param version {@code 1.2} or {@code 1.3}
   * @param contexts a fresh client context for each scenario, so no session carries over
   * @param timeout the deadline of each wait on the server
   * @param progress where each scenario's steps are announced (stderr)
   */
  TlsProbe(
      InetSocketAddress address,
      String version,
      Supplier<SSLContext> contexts,
      HostnameVerification verification,
      LoopGroup loops,
      Duration timeout,
      Consumer<String> progress) {
    this.address = address;
    this.version = version;
    this.protocol = "TLSv" + version;
    this.contexts = contexts;
    this.verification = verification;
    this.loops = loops;
    this.timeout = timeout;
    this.progress = progress;
  }

  /**
   * @param httpPath the path of {@code --http}, or null to skip that scenario
   * @return one row per scenario, in order
   */
  List<ProbeRow> run(String httpPath) {
    List<ProbeRow> rows = new ArrayList<>();
    rows.add(announced("close-first", this::closeFirst));
    if (httpPath != null) {
      rows.add(announced("http-close", () -> httpClose(httpPath)));
    }
    rows.add(announced("resume-after-clean", () -> resumption("resume-after-clean", false)));
    rows.add(announced("resume-after-fast", () -> resumption("resume-after-fast", true)));
    rows.add(announced("idle", this::idle)); // the longest, last
    return rows;
  }

  /** Runs one scenario between two lines on stderr: its start, and its end with what it saw. */
  private ProbeRow announced(String scenario, Supplier<ProbeRow> body) {
    progress.accept(scenario + " " + version + ": start");
    ProbeRow row = body.get();
    progress.accept(
        scenario + " " + version + ": " + row.verdict() + " (" + row.elapsedMs() + " ms)");
    return row;
  }

  /** We close first and wait: does the server answer with its close_notify, and how soon. */
  ProbeRow closeFirst() {
    return withConnection(
        contexts.get(), "close-first", c -> shutdown("close-first", c, closing()));
  }

  /**
   * An HTTP/1.1 request with {@code Connection: close}, then we read to the end: does the server
   * close first, with close_notify or with a bare EOF.
   */
  ProbeRow httpClose(String path) {
    return withConnection(
        contexts.get(),
        "http-close",
        c -> {
          String host = verification.serverName().orElse(address.getHostString());
          String request =
              "GET "
                  + path
                  + " HTTP/1.1\r\nHost: "
                  + host
                  + (address.getPort() == 443 ? "" : ":" + address.getPort())
                  + "\r\nUser-Agent: graceful-probe\r\nConnection: close\r\n\r\n";
          c.send(ByteBuffer.wrap(request.getBytes(StandardCharsets.US_ASCII))).block(timeout);
          return shutdown("http-close", c, waiting());
        });
  }

  /** We stay idle: does the server close first, cleanly or not, before the deadline. */
  ProbeRow idle() {
    return withConnection(
        contexts.get(),
        "idle",
        c -> {
          progress.accept(
              "idle "
                  + version
                  + ": connected, waiting up to "
                  + timeout.toMillis()
                  + " ms for the server");
          return shutdown("idle", c, waiting());
        });
  }

  /**
   * One connection ended by a clean (bidirectional) or a fast close, released, then a second one
   * with the same context: did the server resume the session.
   */
  ProbeRow resumption(String scenario, boolean fast) {
    SSLContext ctx = contexts.get();
    ProbeRow first =
        withConnection(
            ctx,
            scenario,
            c -> {
              if (!fast) {
                return shutdown(scenario, c, closing());
              }
              long start = System.nanoTime();
              ShutdownResult r = c.shutdown(ShutdownSpec.bidirectional().fast()).block(timeout);
              return new ProbeRow(
                  scenario,
                  version,
                  c.protocol(),
                  null,
                  null,
                  null,
                  false,
                  null,
                  null,
                  null,
                  c.bytesRead(),
                  millisSince(start),
                  "fast close (" + r.outcome() + ")",
                  null);
            });
    if (first.error() != null) {
      return first;
    }
    boolean[] resumed = new boolean[1];
    ProbeRow second =
        withConnection(
            ctx,
            scenario,
            c -> {
              resumed[0] = c.resumed();
              return shutdown(scenario, c, closing());
            });
    if (second.error() != null) {
      return second;
    }
    return first.resumption(resumed[0]);
  }

  /**
   * Our close first, waiting for the answer until the deadline, counting what arrives meanwhile.
   */
  private ShutdownSpec closing() {
    return ShutdownSpec.bidirectional().timeout(timeout).settleAtDeadline().discardUnread();
  }

  /** Waiting for the server to close first, until the deadline, counting what arrives meanwhile. */
  private ShutdownSpec waiting() {
    return ShutdownSpec.bidirectional().waitPeer().timeout(timeout).discardUnread();
  }

  private ProbeRow shutdown(String scenario, TlsConnection c, ShutdownSpec spec) {
    long start = System.nanoTime();
    ShutdownResult r = null;
    ShutdownException e = null;
    try {
      r = c.shutdown(spec).block();
    } catch (RuntimeException x) {
      e = TlsClientCommand.asShutdownError(x, c.connectionId());
    }
    long elapsed = r != null ? r.elapsed().toMillis() : millisSince(start);
    return ProbeRow.tls(scenario, version, c.protocol(), r, e, c.bytesRead(), elapsed);
  }

  private interface Scenario {
    ProbeRow on(TlsConnection c);
  }

  /**
   * Connects with {@code ctx}, runs {@code scenario} on the connection, and releases it; whatever
   * the scenario left open is ended fast and the transport closed. A connection that cannot be made
   * is a row saying why.
   */
  private ProbeRow withConnection(SSLContext ctx, String scenario, Scenario body) {
    TlsConnection c;
    try {
      c =
          TlsConnection.connect(
                  address,
                  ctx,
                  loops,
                  verification,
                  e -> e.setEnabledProtocols(new String[] {protocol}))
              .timeout(timeout.plusSeconds(5))
              .block();
    } catch (RuntimeException e) {
      return ProbeRow.failed(scenario, version, e);
    }
    try {
      return body.on(c);
    } catch (RuntimeException e) {
      return ProbeRow.failed(scenario, version, e);
    } finally {
      c.shutdown(ShutdownSpec.bidirectional().fast().closeTransport(TransportPolicy.CLOSE))
          .onErrorResume(x -> Mono.empty())
          .block(timeout);
      c.release().block(timeout);
    }
  }

  private static long millisSince(long start) {
    return (System.nanoTime() - start) / 1_000_000;
  }

  /**
   * @return a fresh client context per call; a context that cannot be made is a setup error
   */
  static Supplier<SSLContext> contexts(ClientSecurityOptions security) {
    return () -> {
      try {
        return security.context("TLS");
      } catch (GeneralSecurityException e) {
        throw new SetupException("cannot make a TLS context: " + e.getMessage(), e);
      }
    };
  }
}
