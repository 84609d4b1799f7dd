package dev.graceful.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graceful.core.ShutdownReport;
import dev.graceful.spring.app.ComparisonApplication;
import dev.graceful.testkit.TestCerts;
import java.io.IOException;
import java.io.PrintStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.reactor.netty.NettyServerCustomizer;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import reactor.netty.http.Http11SslContextSpec;
import reactor.netty.http.HttpProtocol;
import reactor.netty.tcp.SslProvider;

/**
 * The same scenario twice, once with Boot's own graceful shutdown ({@code server.shutdown=graceful}
 * with {@code graceful.shutdown.enabled=false}) and once with the starter, over cleartext HTTP/1.1
 * and over TLS: an idle keep-alive connection, a request in flight (1.5 s), an open stream of
 * server-sent events; then the application context is closed as SIGTERM's shutdown hook closes it.
 * Each client records what it received; the test prints both columns and asserts that the starter's
 * is at least as good on every row (close_notify on every TLS connection, after a whole response)
 * and better on {@code Connection: close}, the stream's clean end, the report and the time the
 * shutdown takes.
 *
 * <p>Both get the same 3 s for the work in flight: Boot's {@code
 * spring.lifecycle.timeout-per-shutdown-phase=3s} (its default is 30 s), the starter's {@code
 * graceful.shutdown.grace=3s} (with {@code timeout=5s} and the phase timeout at 8 s, as its
 * documentation asks). Of Boot's behaviour only what does not depend on timing is asserted; the
 * rest (how fast the idle connection closes, how each connection ends) is printed.
 */
@Tag("G11")
@Tag("G7")
@Tag("G8")
class BootDefaultComparisonIT {
  private static final long WAIT = 30;
  private static final long SLOW_MS = 1500;
  private static final Duration BOOT_PHASE_TIMEOUT = Duration.ofSeconds(3);
  private static final TestCerts CERTS = TestCerts.create();
  private static final ExecutorService CLIENTS = Executors.newCachedThreadPool();
  private static final String BYE = "event:bye\ndata:bye\n\n";

  /** The transports the scenario runs over. */
  enum Transport {
    CLEARTEXT,
    TLS
  }

  /** How a connection ended, as its client saw it. */
  enum End {
    /** The server closed cleanly: FIN, over TLS after its close_notify. */
    CLEAN,
    /** TLS only: the connection ended without a close_notify. */
    NO_CLOSE_NOTIFY,
    /** The connection was reset. */
    RESET,
    /** The server sent bytes where the client expected the end. */
    MORE_BYTES,
    /** Still open when the client gave up. */
    OPEN;

    String label(Transport t) {
      return switch (this) {
        case CLEAN -> t == Transport.TLS ? "close_notify, FIN" : "FIN";
        case NO_CLOSE_NOTIFY -> "FIN without close_notify";
        case RESET -> "RST";
        case MORE_BYTES -> "unexpected bytes";
        case OPEN -> "still open";
      };
    }
  }

  /** An end and when it came, in ms from the start of the shutdown. */
  record Ended(End end, long ms, String detail) {}

  /** What the in-flight request's client received. */
  record InFlight(
      int status, boolean whole, boolean connectionClose, long responseMs, Ended ended) {}

  /** What the event stream's client received. */
  record Stream(boolean finalEvent, boolean chunkedEnd, int bytesAfterShutdown, Ended ended) {}

  /** One column of the table. */
  record Observed(Ended idle, InFlight slow, Stream events, ShutdownReport report, long totalMs) {}

  /** TLS set on the server directly, as {@link TlsShutdownIT} does; HTTP/1.1 only. */
  @Configuration(proxyBeanMethods = false)
  static class Tls {
    @Bean
    NettyServerCustomizer tls() {
      return server ->
          server
              .secure(
                  spec ->
                      spec.sslContext(
                          (SslProvider.GenericSslContextSpec<?>)
                              Http11SslContextSpec.forServer(
                                  CERTS.certFile().toFile(), CERTS.keyFile().toFile())))
              .protocol(HttpProtocol.HTTP11);
    }
  }

  @AfterAll
  static void stopClients() {
    CLIENTS.shutdownNow();
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void theStarterDeliversAtLeastWhatBootsOwnShutdownDoesAndMore(Transport transport)
      throws Exception {
    if (transport == Transport.TLS) {
      // without it the JDK's SSLSocket takes an end without close_notify for a clean one
      assertThat(Boolean.getBoolean("com.sun.net.ssl.requireCloseNotify"))
          .as("-Dcom.sun.net.ssl.requireCloseNotify=true")
          .isTrue();
    }
    Observed boot =
        run(
            transport,
            "graceful.shutdown.enabled=false",
            "spring.lifecycle.timeout-per-shutdown-phase=" + BOOT_PHASE_TIMEOUT.toSeconds() + "s");
    Observed starter =
        run(
            transport,
            "graceful.shutdown.grace=3s",
            "graceful.shutdown.timeout=5s",
            "spring.lifecycle.timeout-per-shutdown-phase=8s");
    print(transport, boot, starter, System.out);

    // the starter: every row, deterministic
    assertThat(starter.idle().end()).isEqualTo(End.CLEAN);
    assertThat(starter.idle().ms())
        .as("idle closed while the slow request is in flight")
        .isLessThan(starter.slow().responseMs());
    assertThat(starter.slow().status()).isEqualTo(200);
    assertThat(starter.slow().whole()).isTrue();
    assertThat(starter.slow().connectionClose()).isTrue();
    assertThat(starter.slow().ended().end()).isEqualTo(End.CLEAN);
    assertThat(starter.events().finalEvent()).isTrue();
    assertThat(starter.events().chunkedEnd()).isTrue();
    assertThat(starter.events().ended().end()).isEqualTo(End.CLEAN);
    assertThat(starter.report()).isNotNull();
    assertThat(starter.report().connections()).isEqualTo(3);
    assertThat(starter.report().stragglers()).isEmpty();
    assertThat(starter.report().errors()).isEmpty();

    // Boot's own shutdown: only what does not depend on timing
    assertThat(boot.slow().status()).as("Boot completes the request in flight").isEqualTo(200);
    assertThat(boot.slow().whole()).isTrue();
    assertThat(boot.slow().connectionClose()).as("Boot does not say Connection: close").isFalse();
    assertThat(boot.events().finalEvent() && boot.events().chunkedEnd())
        .as("nothing ends Boot's stream cleanly")
        .isFalse();
    assertThat(boot.report()).as("Boot reports nothing").isNull();
    assertThat(boot.totalMs())
        .as("Boot waits for the stream until its phase timeout")
        .isGreaterThanOrEqualTo(BOOT_PHASE_TIMEOUT.toMillis());

    // at least as good on every row, better on Connection: close, the stream's end and the report
    assertThat(starter.slow().connectionClose())
        .isTrue()
        .isNotEqualTo(boot.slow().connectionClose());
    assertThat(starter.events().chunkedEnd() && starter.events().finalEvent())
        .isNotEqualTo(boot.events().chunkedEnd() && boot.events().finalEvent());
    assertThat(starter.totalMs()).as("shutdown time").isLessThan(boot.totalMs());
    // close_notify (TLS): the starter's three connections end with one after a whole response
    // (asserted above). Boot's end with one or without, depending on what closes them: when its
    // phase times out, the web server's disposal closes the stream's connection through the TLS
    // handler (close_notify after a cut body); the event loops' end closes it without
    // close_notify. Printed, not asserted.
  }

  private Observed run(Transport transport, String... properties) throws Exception {
    List<String> props =
        new ArrayList<>(
            List.of(
                "server.port=0",
                "server.shutdown=graceful",
                "server.http2.enabled=false",
                "spring.main.banner-mode=off"));
    props.addAll(List.of(properties));
    SpringApplicationBuilder app =
        new SpringApplicationBuilder(ComparisonApplication.class)
            .web(WebApplicationType.REACTIVE)
            .registerShutdownHook(false)
            .properties(props.toArray(String[]::new));
    if (transport == Transport.TLS) {
      app.sources(Tls.class);
    }
    ConfigurableApplicationContext context = app.run();
    try {
      int port = context.getEnvironment().getRequiredProperty("local.server.port", Integer.class);
      ComparisonApplication.Probe probe = context.getBean(ComparisonApplication.Probe.class);
      try (Http1Connection events = connect(transport, port);
          Http1Connection idle = connect(transport, port);
          Http1Connection slow = connect(transport, port)) {
        events.get("/events");
        Http1Connection.Response head = events.head();
        assertThat(head.status()).isEqualTo(200);
        assertThat(events.chunk()).isNotEmpty(); // the first tick: the stream is open
        assertThat(probe.streamStarted.await(WAIT, TimeUnit.SECONDS)).isTrue();
        idle.get("/hello");
        assertThat(idle.response().body()).isEqualTo("hello");
        slow.get("/slow?ms=" + SLOW_MS);
        assertThat(probe.slowStarted.tryAcquire(1, WAIT, TimeUnit.SECONDS)).isTrue();

        long t0 = System.nanoTime();
        CompletableFuture<Long> closed =
            CompletableFuture.supplyAsync(
                () -> {
                  context.close(); // as SIGTERM's shutdown hook does
                  return ms(t0);
                },
                CLIENTS);
        CompletableFuture<Ended> idleEnd =
            CompletableFuture.supplyAsync(() -> end(idle, t0), CLIENTS);
        CompletableFuture<InFlight> slowResult =
            CompletableFuture.supplyAsync(() -> inFlight(slow, t0), CLIENTS);
        CompletableFuture<Stream> stream =
            CompletableFuture.supplyAsync(() -> stream(events, t0), CLIENTS);

        long total = closed.get(WAIT, TimeUnit.SECONDS);
        ShutdownReport report = probe.report.getNow(null);
        return new Observed(
            idleEnd.get(WAIT, TimeUnit.SECONDS),
            slowResult.get(WAIT, TimeUnit.SECONDS),
            stream.get(WAIT, TimeUnit.SECONDS),
            report,
            total);
      }
    } finally {
      context.close();
    }
  }

  private static Http1Connection connect(Transport transport, int port) throws IOException {
    if (transport == Transport.CLEARTEXT) {
      return new Http1Connection(new Socket("127.0.0.1", port));
    }
    SSLSocket s = (SSLSocket) CERTS.client().getSocketFactory().createSocket("127.0.0.1", port);
    s.startHandshake();
    return new Http1Connection(s);
  }

  /**
   * Waits for the server to end the connection, then hangs up (over TLS answering its
   * close_notify).
   */
  private static Ended end(Http1Connection c, long t0) {
    End end;
    String detail = "";
    try {
      end = c.endsWithoutMoreBytes() ? End.CLEAN : End.MORE_BYTES;
    } catch (SocketTimeoutException e) {
      end = End.OPEN;
    } catch (IOException e) {
      end = classify(e);
      detail = e.toString();
    }
    Ended ended = new Ended(end, ms(t0), detail);
    hangUp(c);
    return ended;
  }

  private static End classify(IOException e) {
    String m = String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
    if (m.contains("reset")) {
      return End.RESET;
    }
    return e instanceof SSLException ? End.NO_CLOSE_NOTIFY : End.CLEAN;
  }

  private static InFlight inFlight(Http1Connection c, long t0) {
    Http1Connection.Response r;
    try {
      r = c.response();
    } catch (IOException e) {
      Ended cut =
          new Ended(
              e instanceof SocketTimeoutException ? End.OPEN : classify(e), ms(t0), e.toString());
      hangUp(c);
      return new InFlight(0, false, false, cut.ms(), cut);
    }
    long responseMs = ms(t0);
    return new InFlight(
        r.status(),
        r.body().equals("slow " + SLOW_MS),
        "close".equalsIgnoreCase(r.header("connection")),
        responseMs,
        end(c, t0));
  }

  private static Stream stream(Http1Connection c, long t0) {
    StringBuilder body = new StringBuilder();
    try {
      for (byte[] chunk = c.chunk(); chunk.length > 0; chunk = c.chunk()) {
        body.append(new String(chunk, StandardCharsets.UTF_8));
      }
    } catch (IOException e) {
      // cut: an end inside the body (over TLS an EOFException here came after a close_notify)
      Ended cut =
          new Ended(
              e instanceof SocketTimeoutException ? End.OPEN : classify(e), ms(t0), e.toString());
      hangUp(c);
      return new Stream(body.toString().endsWith(BYE), false, body.length(), cut);
    }
    return new Stream(body.toString().endsWith(BYE), true, body.length(), end(c, t0));
  }

  private static void hangUp(Http1Connection c) {
    try {
      c.hangUp();
    } catch (IOException e) {
      // the connection is gone either way
    }
  }

  private static long ms(long t0) {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
  }

  private static void print(Transport t, Observed boot, Observed starter, PrintStream out) {
    String title = t == Transport.TLS ? "TLS (HTTP/1.1)" : "cleartext HTTP/1.1";
    StringBuilder b = new StringBuilder();
    b.append("\n")
        .append(title)
        .append(": Boot's server.shutdown=graceful alone vs. the starter\n\n");
    b.append(
        "| what the clients got | Boot's default (phase timeout 3 s) | graceful starter (grace 3 s) |\n");
    b.append("| --- | --- | --- |\n");
    row(b, "idle keep-alive connection", idle(t, boot.idle()), idle(t, starter.idle()));
    row(
        b,
        "in-flight request (" + SLOW_MS + " ms)",
        response(boot.slow()),
        response(starter.slow()));
    row(
        b,
        "`Connection: close` on it",
        yes(boot.slow().connectionClose()),
        yes(starter.slow().connectionClose()));
    row(
        b,
        "its connection, after the response",
        ended(t, boot.slow().ended()),
        ended(t, starter.slow().ended()));
    row(b, "SSE stream", stream(boot.events()), stream(starter.events()));
    row(b, "SSE connection", ended(t, boot.events().ended()), ended(t, starter.events().ended()));
    row(b, "report", report(boot.report()), report(starter.report()));
    row(b, "context closed after", boot.totalMs() + " ms", starter.totalMs() + " ms");
    for (Observed o : List.of(boot, starter)) {
      List<String> names = List.of("idle", "in-flight", "SSE");
      List<Ended> ends = List.of(o.idle(), o.slow().ended(), o.events().ended());
      for (int i = 0; i < ends.size(); i++) {
        if (!ends.get(i).detail().isEmpty()) {
          b.append("\n  (")
              .append(o == boot ? "Boot" : "starter")
              .append(", ")
              .append(names.get(i))
              .append(": ")
              .append(ends.get(i).detail())
              .append(")");
        }
      }
    }
    out.println(b);
    out.flush();
  }

  private static void row(StringBuilder b, String what, String boot, String starter) {
    b.append("| ")
        .append(what)
        .append(" | ")
        .append(boot)
        .append(" | ")
        .append(starter)
        .append(" |\n");
  }

  private static String yes(boolean b) {
    return b ? "yes" : "no";
  }

  private static String idle(Transport t, Ended e) {
    return "closed after " + e.ms() + " ms: " + e.end().label(t);
  }

  private static String ended(Transport t, Ended e) {
    return e.end().label(t) + " at " + e.ms() + " ms";
  }

  private static String response(InFlight r) {
    return r.status() == 0
        ? "no response (" + r.ended().detail() + ")"
        : r.status() + ", " + (r.whole() ? "whole" : "cut") + ", at " + r.responseMs() + " ms";
  }

  private static String stream(Stream s) {
    if (s.finalEvent() && s.chunkedEnd()) {
      return "final `bye` event, then the zero-length chunk";
    }
    return "cut: "
        + (s.finalEvent() ? "" : "no final event, ")
        + (s.chunkedEnd() ? "" : "no zero-length chunk");
  }

  private static String report(ShutdownReport r) {
    return r == null ? "none" : "`" + ShutdownSummary.of(r).toJson() + "`";
  }
}
