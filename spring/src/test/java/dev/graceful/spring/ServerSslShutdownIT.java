package dev.graceful.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graceful.core.Initiator;
import dev.graceful.core.Outcome;
import dev.graceful.core.ShutdownReport;
import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownState;
import dev.graceful.spring.app.TestApplication;
import dev.graceful.testkit.TestCerts;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * G2, G6, G11 with TLS set by Boot's own {@code server.ssl.*} properties, the way most applications
 * set it: a PKCS12 key store ({@code server.ssl.key-store}), or an SSL bundle ({@code
 * server.ssl.bundle}, here of PEM files). Boot's server then starts every connection with an SNI
 * handler, which puts the {@code SslHandler} in its place once the client's hello arrived; the
 * starter tracks such connections as TLS all the same: each ends with the server's close_notify
 * after its last response, the shutdown waits for the client's answer, and the report says which
 * TLS version each connection spoke and that its close_notify exchange completed.
 */
@Tag("G11")
@Tag("G6")
@Tag("G2")
class ServerSslShutdownIT {
  private static final long WAIT = 30;
  private static final long SLOW_MS = 1500;
  private static final String PASSWORD = "graceful-test";
  private static final TestCerts CERTS = TestCerts.create();

  /** How the application's TLS is configured. */
  enum Configured {
    /** {@code server.ssl.key-store} with a PKCS12 file. */
    KEY_STORE {
      @Override
      List<String> properties() {
        return List.of(
            "server.ssl.key-store=" + keyStore().toUri(),
            "server.ssl.key-store-type=PKCS12",
            "server.ssl.key-store-password=" + PASSWORD,
            "server.ssl.key-alias=server");
      }
    },
    /** {@code server.ssl.bundle}, naming a bundle of the certificate and key as PEM files. */
    BUNDLE {
      @Override
      List<String> properties() {
        return List.of(
            "spring.ssl.bundle.pem.web.keystore.certificate=" + CERTS.certFile().toUri(),
            "spring.ssl.bundle.pem.web.keystore.private-key=" + CERTS.keyFile().toUri(),
            "server.ssl.bundle=web");
      }
    };

    abstract List<String> properties();
  }

  /** The test certificate and its key in a PKCS12 file, as {@code keytool} would write one. */
  private static Path keyStore() {
    try {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      ks.setKeyEntry(
          "server",
          CERTS.cert().keys().getPrivate(),
          PASSWORD.toCharArray(),
          new Certificate[] {CERTS.cert().certificate()});
      Path file = Files.createTempFile("graceful-server", ".p12");
      file.toFile().deleteOnExit();
      try (OutputStream out = Files.newOutputStream(file)) {
        ks.store(out, PASSWORD.toCharArray());
      }
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static ConfigurableApplicationContext start(Configured tls) {
    List<String> props =
        new ArrayList<>(
            List.of(
                "server.port=0",
                "server.http2.enabled=false",
                "spring.main.banner-mode=off",
                "graceful.shutdown.grace=4s",
                "graceful.shutdown.timeout=10s",
                "spring.lifecycle.timeout-per-shutdown-phase=15s"));
    props.addAll(tls.properties());
    return new SpringApplicationBuilder(TestApplication.class)
        .web(WebApplicationType.REACTIVE)
        .registerShutdownHook(false)
        .properties(props.toArray(String[]::new))
        .run();
  }

  private static Http1Connection connect(int port, String protocol) throws IOException {
    SSLSocket s = (SSLSocket) CERTS.client().getSocketFactory().createSocket("127.0.0.1", port);
    s.setEnabledProtocols(new String[] {protocol});
    s.startHandshake();
    return new Http1Connection(s);
  }

  @ParameterizedTest
  @EnumSource(Configured.class)
  void connectionsOfBootsOwnTlsEndWithTheCloseNotifyExchangeAndAreReportedAsTls(Configured tls)
      throws Exception {
    // without it the JDK's SSLSocket takes an end without close_notify for a clean one
    assertThat(Boolean.getBoolean("com.sun.net.ssl.requireCloseNotify"))
        .as("-Dcom.sun.net.ssl.requireCloseNotify=true")
        .isTrue();
    ConfigurableApplicationContext context = start(tls);
    try {
      int port = context.getEnvironment().getRequiredProperty("local.server.port", Integer.class);
      TestApplication.Probe probe = context.getBean(TestApplication.Probe.class);
      try (Http1Connection idle = connect(port, "TLSv1.3");
          Http1Connection slow = connect(port, "TLSv1.2")) {
        idle.get("/hello");
        assertThat(idle.response().body()).isEqualTo("hello");
        slow.get("/slow?ms=" + SLOW_MS);
        assertThat(probe.slowStarted.tryAcquire(1, WAIT, TimeUnit.SECONDS)).isTrue();
        CompletableFuture<Void> closed =
            CompletableFuture.runAsync(context::close); // as SIGTERM's hook does

        // the server's close_notify, then the end: without the close_notify the read throws
        assertThat(idle.endsWithoutMoreBytes()).isTrue();
        Http1Connection.Response r = slow.response();
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("slow " + SLOW_MS);
        assertThat(r.header("connection")).isEqualToIgnoringCase("close");
        assertThat(slow.endsWithoutMoreBytes()).isTrue();
        // both close_notify are out and neither client has answered: the shutdown waits for them
        // (until graceful.shutdown.timeout, 10 s from its start)
        assertThat(probe.report).as("the report before the clients answered").isNotDone();
        idle.hangUp(); // the client's close_notify
        slow.hangUp();
        closed.get(WAIT, TimeUnit.SECONDS);
      }
      ShutdownReport report = probe.report.get(WAIT, TimeUnit.SECONDS);
      assertThat(report.connections()).isEqualTo(2);
      assertThat(report.outcomes()).isEqualTo(Map.of(Outcome.COMPLETE, 2));
      assertThat(report.clean()).isTrue();
      List<ShutdownResult> results =
          report.entries().stream()
              .map(e -> e.result().orElseThrow(() -> new AssertionError(e)))
              .toList();
      assertThat(results)
          .map(ShutdownResult::protocol)
          .containsExactlyInAnyOrder("TLSv1.3", "TLSv1.2");
      assertThat(results)
          .allSatisfy(
              res -> {
                assertThat(res.state()).isEqualTo(ShutdownState.SENT_AND_RECEIVED);
                assertThat(res.initiator()).isEqualTo(Initiator.LOCAL);
                assertThat(res.unauthenticatedEof()).isFalse();
              });
    } finally {
      context.close();
    }
  }
}
