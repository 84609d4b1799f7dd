package dev.graceful.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graceful.core.Outcome;
import dev.graceful.core.ShutdownReport;
import dev.graceful.spring.app.TestApplication;
import dev.graceful.testkit.TestCerts;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.reactor.netty.NettyServerCustomizer;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.test.annotation.DirtiesContext;
import reactor.netty.http.Http2SslContextSpec;
import reactor.netty.http.HttpProtocol;
import reactor.netty.tcp.SslProvider;

/**
 * G7, G11 over TLS, HTTP/1.1 and HTTP/2 (ALPN): every client gets its response whole and then a
 * close_notify, and the report counts every connection.
 */
@SpringBootTest(
    classes = TestApplication.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {"graceful.shutdown.grace=4s", "graceful.shutdown.timeout=6s"})
@Import(TlsShutdownIT.Tls.class)
@DirtiesContext(classMode = DirtiesContext.ClassMode.AFTER_EACH_TEST_METHOD)
@Tag("G11")
class TlsShutdownIT {
  private static final long WAIT = 30;
  private static final Duration GRACE = Duration.ofSeconds(4);
  private static final TestCerts CERTS = TestCerts.create();

  /**
   * TLS (HTTP/1.1 and HTTP/2 by ALPN) set on the server directly, as an application that builds its
   * own {@code SslContext} does; {@link ServerSslShutdownIT} covers Boot's {@code server.ssl.*}.
   */
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
                              Http2SslContextSpec.forServer(
                                  CERTS.certFile().toFile(), CERTS.keyFile().toFile())))
              .protocol(HttpProtocol.HTTP11, HttpProtocol.H2);
    }
  }

  @LocalServerPort int port;
  @Autowired ConfigurableApplicationContext context;
  @Autowired TestApplication.Probe probe;

  /** As in {@link CleartextShutdownIT}: the lifecycles stop as {@code close()} stops them. */
  private CompletableFuture<Void> closeContext() {
    return CompletableFuture.runAsync(context::stop);
  }

  private Http1Connection tls(String protocol) throws Exception {
    SSLSocket s = (SSLSocket) CERTS.client().getSocketFactory().createSocket("127.0.0.1", port);
    s.setEnabledProtocols(new String[] {protocol});
    s.startHandshake();
    return new Http1Connection(s);
  }

  @Test
  @Tag("G7")
  void idleTlsClientsReceiveCloseNotifyAndTheReportCountsTheirAnswers() throws Exception {
    try (Http1Connection tls13 = tls("TLSv1.3");
        Http1Connection tls12 = tls("TLSv1.2")) {
      for (Http1Connection c : List.of(tls13, tls12)) {
        c.get("/hello");
        assertThat(c.response().body()).isEqualTo("hello");
      }
      CompletableFuture<Void> closed = closeContext();

      // close_notify, then the end: an end without close_notify would throw (the tests run with
      // -Dcom.sun.net.ssl.requireCloseNotify=true); each client then answers with its own
      assertThat(tls13.endsWithoutMoreBytes()).isTrue();
      assertThat(tls12.endsWithoutMoreBytes()).isTrue();
      tls13.hangUp();
      tls12.hangUp();
      closed.get(WAIT, TimeUnit.SECONDS);
    }
    ShutdownReport report = probe.report.get(WAIT, TimeUnit.SECONDS);
    assertThat(report.connections()).isEqualTo(2);
    assertThat(report.outcomes()).isEqualTo(Map.of(Outcome.COMPLETE, 2));
    assertThat(report.clean()).isTrue();
    assertThat(report.elapsed()).isLessThan(GRACE);
  }

  @Test
  @Tag("G7")
  void http2RequestInFlightArrivesWholeAfterTheGoaway() throws Exception {
    SslContext trusting =
        Http2SslContextSpec.forClient().configure(TlsShutdownIT::trust).sslContext();
    reactor.netty.http.client.HttpClient h2 =
        reactor.netty.http.client.HttpClient.create()
            .protocol(HttpProtocol.H2)
            .secure(spec -> spec.sslContext(trusting));
    CompletableFuture<String> slow =
        h2.get()
            .uri("https://127.0.0.1:" + port + "/slow?ms=1500")
            .responseSingle(
                (res, body) ->
                    body.asString().map(b -> res.status().code() + " " + b + " " + res.version()))
            .toFuture();
    assertThat(probe.slowStarted.tryAcquire(1, WAIT, TimeUnit.SECONDS)).isTrue();
    CompletableFuture<Void> closed = closeContext();

    assertThat(slow.get(WAIT, TimeUnit.SECONDS)).isEqualTo("200 slow 1500 HTTP/2.0");
    closed.get(WAIT, TimeUnit.SECONDS);
    ShutdownReport report = probe.report.get(WAIT, TimeUnit.SECONDS);
    assertThat(report.connections()).isEqualTo(1);
    // reactor-netty's client keeps its HTTP/2 connection after the GOAWAY and the close_notify
    // without answering: the connection ends by the force spec at the deadline, without an error
    assertThat(report.errors()).isEmpty();
  }

  @Test
  @Tag("G7")
  void jdkClientOverTlsGetsItsInFlightResponseWholeWithConnectionClose() throws Exception {
    HttpClient jdk =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .sslContext(CERTS.client())
            .build();
    CompletableFuture<HttpResponse<String>> slow =
        jdk.sendAsync(
            HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + "/slow?ms=3000"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(probe.slowStarted.tryAcquire(1, WAIT, TimeUnit.SECONDS)).isTrue();
    CompletableFuture<Void> closed = closeContext();

    HttpResponse<String> r = slow.get(WAIT, TimeUnit.SECONDS);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo("slow 3000");
    assertThat(r.headers().firstValue("connection"))
        .hasValueSatisfying(v -> assertThat(v).isEqualToIgnoringCase("close"));
    closed.get(WAIT, TimeUnit.SECONDS);
    ShutdownReport report = probe.report.get(WAIT, TimeUnit.SECONDS);
    // the JDK's client closes the connection on Connection: close without a close_notify: the
    // report counts it, ended before the deadline (as a transport error, not an outcome)
    assertThat(report.connections()).isEqualTo(1);
    assertThat(report.stragglers()).isEmpty();
  }

  private static void trust(SslContextBuilder b) {
    b.trustManager(CERTS.certFile().toFile());
  }
}
