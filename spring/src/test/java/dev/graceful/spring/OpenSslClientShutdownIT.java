package dev.graceful.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graceful.core.Outcome;
import dev.graceful.core.ShutdownReport;
import dev.graceful.core.ShutdownResult;
import dev.graceful.spring.app.TestApplication;
import dev.graceful.testkit.PeerProcess;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Import;
import org.springframework.test.annotation.DirtiesContext;

/**
 * G2, G6, G11 with {@code openssl s_client} as the client: connections that sent a request which is
 * still being answered when the application context closes get the whole response, then the
 * server's close_notify, which s_client answers before it exits; the report counts each as a TLS
 * connection whose close_notify exchange completed.
 */
@SpringBootTest(
    classes = TestApplication.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {"graceful.shutdown.grace=4s", "graceful.shutdown.timeout=6s"})
@Import(TlsShutdownIT.Tls.class)
@DirtiesContext(classMode = DirtiesContext.ClassMode.AFTER_EACH_TEST_METHOD)
@Tag("G11")
class OpenSslClientShutdownIT {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final long SLOW_MS = 1500;

  @LocalServerPort int port;
  @Autowired ConfigurableApplicationContext context;
  @Autowired TestApplication.Probe probe;

  /** As in {@link CleartextShutdownIT}: the lifecycles stop as {@code close()} stops them. */
  private CompletableFuture<Void> closeContext() {
    return CompletableFuture.runAsync(context::stop);
  }

  /**
   * s_client on the server, printing every TLS record it reads or writes ({@code -msg}); its
   * standard input stays open, so that it ends only on the server's close.
   */
  private PeerProcess sClient(String tls) {
    return PeerProcess.start(
        "s_client",
        "-connect",
        "127.0.0.1:" + port,
        "-tls" + tls.replace('.', '_'),
        "-msg",
        "-crlf");
  }

  @Test
  @Tag("G2")
  @Tag("G6")
  void sClientMidRequestGetsTheWholeResponseThenTheCloseNotifyAndAnswersIt() throws Exception {
    try (PeerProcess tls13 = sClient("1.3");
        PeerProcess tls12 = sClient("1.2")) {
      for (PeerProcess p : List.of(tls13, tls12)) {
        p.awaitLine("Verify return code", WAIT); // the handshake ended: s_client reads its input
        p.send("GET /slow?ms=" + SLOW_MS + " HTTP/1.1\nHost: localhost\n\n");
      }
      assertThat(probe.slowStarted.tryAcquire(2, WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
      CompletableFuture<Void> closed = closeContext();

      for (PeerProcess p : List.of(tls13, tls12)) {
        // s_client exits 0 on the server's close_notify ("closed", after answering it); on a bare
        // FIN it prints "unexpected eof while reading" and exits 1
        assertThat(p.awaitExit(WAIT)).as("s_client's exit status; output:\n%s", p.tail()).isZero();
        List<String> out = p.lines();
        int status = indexOf(out, "HTTP/1.1 200 OK");
        int connectionClose = indexOfIgnoringCase(out, "connection: close");
        int body = indexOf(out, "slow " + SLOW_MS);
        int closeNotify = receivedCloseNotify(out);
        assertThat(status).as("the response's status line; output:\n%s", p.tail()).isNotNegative();
        assertThat(connectionClose).as("Connection: close").isGreaterThan(status);
        assertThat(indexOfIgnoringCase(out, "content-length: " + ("slow " + SLOW_MS).length()))
            .isGreaterThan(status);
        assertThat(body).as("the whole body").isGreaterThan(connectionClose);
        assertThat(closeNotify)
            .as("the server's close_notify, after the body; output:\n%s", p.tail())
            .isGreaterThan(body);
        assertThat(out.indexOf("closed"))
            .as("s_client's own line for the server's close")
            .isGreaterThan(closeNotify);
        assertThat(String.join("\n", out)).doesNotContain("unexpected eof");
      }
      closed.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }
    ShutdownReport report = probe.report.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    assertThat(report.connections()).isEqualTo(2);
    assertThat(report.outcomes()).isEqualTo(Map.of(Outcome.COMPLETE, 2));
    assertThat(report.entries())
        .map(e -> e.result().map(ShutdownResult::protocol).orElse("error: " + e.error()))
        .containsExactlyInAnyOrder("TLSv1.3", "TLSv1.2");
    assertThat(report.clean()).isTrue();
  }

  private static int indexOf(List<String> lines, String text) {
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).contains(text)) {
        return i;
      }
    }
    return -1;
  }

  private static int indexOfIgnoringCase(List<String> lines, String text) {
    return indexOf(lines.stream().map(l -> l.toLowerCase(Locale.ROOT)).toList(), text);
  }

  /**
   * The line where {@code -msg} traces the close_notify that s_client received, {@code <<< TLS 1.3,
   * Alert [length 0002], warning close_notify} ({@code >>>} for the one it sends).
   */
  private static int receivedCloseNotify(List<String> lines) {
    for (int i = 0; i < lines.size(); i++) {
      String l = lines.get(i);
      if (l.startsWith("<<< ") && l.contains(", Alert ") && l.endsWith("close_notify")) {
        return i;
      }
    }
    return -1;
  }
}
