package dev.graceful.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graceful.core.Outcome;
import dev.graceful.core.ShutdownReport;
import dev.graceful.spring.app.TestApplication;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.test.annotation.DirtiesContext;

/**
 * G7, G8, G11 over cleartext HTTP/1.1: a WebFlux application with the starter, real clients, and
 * the application context closed as SIGTERM closes it.
 */
@SpringBootTest(
    classes = TestApplication.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "graceful.shutdown.grace=4s",
      "graceful.shutdown.timeout=8s",
      "server.http2.enabled=false"
    })
@DirtiesContext(classMode = DirtiesContext.ClassMode.AFTER_EACH_TEST_METHOD)
@Tag("G11")
class CleartextShutdownIT {
  private static final long WAIT = 30;
  // Slow requests take 3 s, within the 4 s grace period: their response heads must go out after
  // the shutdown has told their connections to close, which takes up to several hundred ms on a
  // busy machine the first time (closing the listener, classes loading).

  @LocalServerPort int port;
  @Autowired ConfigurableApplicationContext context;
  @Autowired TestApplication.Probe probe;
  @Autowired MeterRegistry meters;
  @Autowired GracefulShutdownLifecycle lifecycle;

  /**
   * Stops the context's lifecycles, highest phase first, as {@code close()} (SIGTERM's shutdown
   * hook) does before it destroys the beans. Not {@code close()} itself: the test framework's
   * context cache still holds the context, and restarts a stopped one after the test (which then
   * {@code @DirtiesContext} closes).
   */
  private CompletableFuture<Void> closeContext() {
    return CompletableFuture.runAsync(context::stop);
  }

  @Test
  @Tag("G7")
  void requestInFlightAtShutdownArrivesWholeWithConnectionClose() throws Exception {
    try (Http1Connection c = new Http1Connection(new Socket("127.0.0.1", port))) {
      c.get("/slow?ms=3000");
      assertThat(probe.slowStarted.tryAcquire(1, WAIT, TimeUnit.SECONDS)).isTrue();
      CompletableFuture<Void> closed = closeContext();

      Http1Connection.Response r = c.response();
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("slow 3000");
      assertThat(r.header("connection")).isEqualToIgnoringCase("close");
      assertThat(c.endsWithoutMoreBytes()).isTrue();
      c.hangUp();
      closed.get(WAIT, TimeUnit.SECONDS);
    }
    ShutdownReport report = probe.report.get(WAIT, TimeUnit.SECONDS);
    assertThat(report.connections()).isEqualTo(1);
    assertThat(report.errors()).isEmpty();
    assertThat(report.stragglers()).isEmpty();
  }

  @Test
  @Tag("G7")
  void idleKeepAliveConnectionClosesWhileAnotherRequestIsStillInFlight() throws Exception {
    try (Http1Connection idle = new Http1Connection(new Socket("127.0.0.1", port));
        Http1Connection busy = new Http1Connection(new Socket("127.0.0.1", port))) {
      idle.get("/hello");
      assertThat(idle.response().body()).isEqualTo("hello");
      busy.get("/slow?ms=3000");
      assertThat(probe.slowStarted.tryAcquire(1, WAIT, TimeUnit.SECONDS)).isTrue();
      CompletableFuture<Void> closed = closeContext();

      // the idle connection ends first, while the slow response is still being made
      assertThat(idle.endsWithoutMoreBytes()).isTrue();
      assertThat(probe.report).isNotDone();
      idle.hangUp();
      Http1Connection.Response r = busy.response();
      assertThat(r.body()).isEqualTo("slow 3000");
      assertThat(r.header("connection")).isEqualToIgnoringCase("close");
      assertThat(busy.endsWithoutMoreBytes()).isTrue();
      busy.hangUp();
      closed.get(WAIT, TimeUnit.SECONDS);
    }
    ShutdownReport report = probe.report.get(WAIT, TimeUnit.SECONDS);
    assertThat(report.connections()).isEqualTo(2);
    assertThat(report.clean()).isTrue();
  }

  @Test
  @Tag("G8")
  void eventStreamEndsWithItsFinalEventAndACleanChunkedEnd() throws Exception {
    try (Http1Connection c = new Http1Connection(new Socket("127.0.0.1", port))) {
      c.get("/events");
      assertThat(probe.streamStarted.await(WAIT, TimeUnit.SECONDS)).isTrue();
      CompletableFuture<Void> closed = closeContext();

      Http1Connection.Response r = c.response();
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.header("content-type")).startsWith("text/event-stream");
      assertThat(r.body()).endsWith("event:bye\ndata:bye\n\n");
      assertThat(r.chunkedEndSeen()).isTrue();
      assertThat(c.endsWithoutMoreBytes()).isTrue();
      c.hangUp();
      closed.get(WAIT, TimeUnit.SECONDS);
    }
    ShutdownReport report = probe.report.get(WAIT, TimeUnit.SECONDS);
    assertThat(report.connections()).isEqualTo(1);
    assertThat(report.clean()).isTrue();
  }

  @Test
  @Tag("G7")
  void jdkClientGetsItsResponseAndTheReportIsPublishedMeteredAndObserved() throws Exception {
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    CompletableFuture<HttpResponse<String>> slow =
        client.sendAsync(get("/slow?ms=3000"), HttpResponse.BodyHandlers.ofString());
    assertThat(probe.slowStarted.tryAcquire(1, WAIT, TimeUnit.SECONDS)).isTrue();
    CompletableFuture<Void> closed = closeContext();

    HttpResponse<String> r = slow.get(WAIT, TimeUnit.SECONDS);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo("slow 3000");
    assertThat(r.headers().firstValue("connection"))
        .hasValueSatisfying(v -> assertThat(v).isEqualToIgnoringCase("close"));
    closed.get(WAIT, TimeUnit.SECONDS);

    ShutdownReport report = probe.report.get(WAIT, TimeUnit.SECONDS);
    assertThat(lifecycle.lastReport()).containsSame(report);
    assertThat(report.connections()).isEqualTo(1);
    assertThat(report.errors()).isEmpty();
    assertThat(report.outcomes().keySet()).isSubsetOf(Outcome.COMPLETE, Outcome.SENT);
    double counted =
        meters.get("graceful.shutdown.connections").counters().stream()
            .mapToDouble(c -> c.count())
            .sum();
    assertThat(counted).isEqualTo(report.connections());
    assertThat(meters.get("graceful.shutdown.draining").gauge().value()).isEqualTo(1.0);
    assertThat(meters.get("graceful.shutdown.duration").timer().count()).isEqualTo(1);
    // the Observation, as Micrometer's default handler times it
    assertThat(
            meters
                .get(ObservedShutdown.NAME)
                .tag("server", "web")
                .tag("clean", Boolean.toString(report.clean()))
                .timer()
                .count())
        .isEqualTo(1);
  }

  @Test
  @Tag("G8")
  void webSocketClosesWithGoingAwayAndTheClientsAnswerEndsItCleanly() throws Exception {
    CompletableFuture<String> echoed = new CompletableFuture<>();
    CompletableFuture<Integer> closedWith = new CompletableFuture<>();
    WebSocket.Listener listener =
        new WebSocket.Listener() {
          @Override
          public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            echoed.complete(data.toString());
            ws.request(1);
            return null;
          }

          @Override
          public CompletionStage<?> onClose(WebSocket ws, int status, String reason) {
            closedWith.complete(status);
            return null; // the client's close frame answers at once
          }
        };
    WebSocket ws =
        HttpClient.newHttpClient()
            .newWebSocketBuilder()
            .buildAsync(URI.create("ws://127.0.0.1:" + port + "/ws"), listener)
            .get(WAIT, TimeUnit.SECONDS);
    ws.sendText("hello", true).get(WAIT, TimeUnit.SECONDS);
    assertThat(echoed.get(WAIT, TimeUnit.SECONDS)).isEqualTo("hello");
    CompletableFuture<Void> closed = closeContext();

    assertThat(closedWith.get(WAIT, TimeUnit.SECONDS)).isEqualTo(1001);
    closed.get(WAIT, TimeUnit.SECONDS);
    ShutdownReport report = probe.report.get(WAIT, TimeUnit.SECONDS);
    // the handler closes as soon as draining begins, and GracefulServer counts the open
    // connections only after that signal (and after the listener closed): the WebSocket's
    // connection may be gone by then, so the report holds it or not, but never as an error
    assertThat(report.connections()).isLessThanOrEqualTo(1);
    assertThat(report.errors()).isEmpty();
    assertThat(report.stragglers()).isEmpty();
  }

  private HttpRequest get(String path) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build();
  }
}
