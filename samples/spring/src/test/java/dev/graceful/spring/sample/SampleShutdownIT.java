package dev.graceful.spring.sample;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graceful.testkit.PeerProcess;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The sample jar as a user runs it: started with {@code java -jar}, a slow request and an event
 * stream open, then SIGTERM. Both clients get their whole answer, the process prints one JSON
 * summary line on stdout and exits.
 */
@Tag("G11")
@Tag("G8")
class SampleShutdownIT {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final Pattern PORT = Pattern.compile("Netty started on port (\\d+)");
  private static final Pattern CERT =
      Pattern.compile("self-signed certificate for localhost and 127.0.0.1: (\\S+)");

  @ParameterizedTest(name = "tls={0}")
  @ValueSource(booleans = {false, true})
  void drainsOnSigtermPrintsOneJsonSummaryAndExits(boolean tls) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String jar = System.getProperty("sample.jar");
    assertThat(Path.of(jar)).exists();
    try (PeerProcess app =
        PeerProcess.command(List.of(java, "-jar", jar, "--server.port=0", "--sample.tls=" + tls))) {
      Matcher port = PORT.matcher(app.awaitLine("Netty started on port", WAIT));
      assertThat(port.find()).isTrue();
      String base = (tls ? "https" : "http") + "://127.0.0.1:" + port.group(1);
      HttpClient.Builder builder = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1);
      if (tls) {
        Matcher cert = CERT.matcher(app.awaitLine("self-signed certificate", WAIT));
        assertThat(cert.find()).isTrue();
        builder.sslContext(trusting(Path.of(cert.group(1))));
      }
      HttpClient client = builder.build();

      // an event stream, read line by line until its end; then a slow request
      HttpResponse<Stream<String>> events =
          client.send(
              HttpRequest.newBuilder(URI.create(base + "/events")).build(),
              HttpResponse.BodyHandlers.ofLines());
      assertThat(events.statusCode()).isEqualTo(200);
      CompletableFuture<String> firstTick = new CompletableFuture<>();
      CompletableFuture<List<String>> stream =
          CompletableFuture.supplyAsync(
              () -> {
                List<String> lines = new ArrayList<>();
                events
                    .body()
                    .forEach(
                        l -> {
                          lines.add(l);
                          if (l.startsWith("data:tick")) {
                            firstTick.complete(l);
                          }
                        });
                return lines; // the stream's clean end: a cut one throws instead
              });
      assertThat(firstTick.get(WAIT.toSeconds(), TimeUnit.SECONDS)).startsWith("data:tick");
      CompletableFuture<HttpResponse<String>> slow =
          client.sendAsync(
              HttpRequest.newBuilder(URI.create(base + "/slow?ms=3000")).build(),
              HttpResponse.BodyHandlers.ofString());
      app.awaitLine("slow request started", WAIT);

      app.signal("TERM");

      HttpResponse<String> r = slow.get(WAIT.toSeconds(), TimeUnit.SECONDS);
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("slow 3000\n");
      assertThat(r.headers().firstValue("connection"))
          .hasValueSatisfying(v -> assertThat(v).isEqualToIgnoringCase("close"));
      List<String> lines = stream.get(WAIT.toSeconds(), TimeUnit.SECONDS);
      assertThat(lines).containsSubsequence("event:bye", "data:bye");
      assertThat(lines.subList(lines.indexOf("event:bye"), lines.size()))
          .containsExactly("event:bye", "data:bye", "");

      assertThat(app.awaitExit(WAIT)).isEqualTo(143); // 128 + SIGTERM, after the shutdown hook ran
      List<String> json = app.lines().stream().filter(l -> l.startsWith("{")).toList();
      assertThat(json).hasSize(1);
      JsonNode summary = JsonMapper.builder().build().readTree(json.get(0));
      assertThat(summary.get("connections").asInt()).isEqualTo(2);
      // over TLS, the JDK's client leaves the event stream's connection idle in its pool and does
      // not answer the close_notify there: that connection is forced at the deadline (10 s)
      assertThat(summary.get("forced").asInt()).isEqualTo(tls ? 1 : 0);
      assertThat(summary.get("refused").asInt()).isZero();
      assertThat(summary.get("elapsedMs").asLong()).isBetween(0L, 12_000L);
      assertThat(summary.get("outcomes").isObject()).isTrue();
      assertThat(summary.get("errors").isObject()).isTrue();
      int outcomes = 0;
      for (JsonNode n : summary.get("outcomes")) {
        outcomes += n.asInt();
      }
      int errors = 0;
      for (JsonNode n : summary.get("errors")) {
        errors += n.asInt();
      }
      assertThat(outcomes + errors).isEqualTo(2);
    }
  }

  private static SSLContext trusting(Path pem) throws Exception {
    KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
    trust.load(null, null);
    try (InputStream in = Files.newInputStream(pem)) {
      trust.setCertificateEntry(
          "sample", CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    return ctx;
  }
}
