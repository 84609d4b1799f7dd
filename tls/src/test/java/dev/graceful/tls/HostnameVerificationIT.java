package dev.graceful.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.graceful.core.LoopGroup;
import dev.graceful.core.Outcome;
import dev.graceful.core.ShutdownException;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.testkit.PeerProcess;
import dev.graceful.testkit.TestCerts;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.function.Consumer;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import reactor.core.Exceptions;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * S1: a client verifies the server's host name by default, against real {@code openssl s_server}
 * peers presenting certificates for chosen names (TLS and DTLS).
 */
@Tag("S1")
class HostnameVerificationIT {
  static final Duration WAIT = Duration.ofSeconds(20);
  static LoopGroup loops;

  @BeforeAll
  static void setUp() {
    loops = LoopGroup.create(1);
  }

  @AfterAll
  static void tearDown() {
    loops.shutdown().block(WAIT);
  }

  /** {@code localhost} at 127.0.0.1, without asking DNS. */
  static InetSocketAddress localhost(int port) throws UnknownHostException {
    return new InetSocketAddress(
        InetAddress.getByAddress("localhost", new byte[] {127, 0, 0, 1}), port);
  }

  static PeerProcess server(int port, TestCerts certs, String tls) {
    return PeerProcess.server(
        port, certs, "-naccept", "1", "-trace", "-tls" + tls.replace('.', '_'));
  }

  static Consumer<SSLEngine> tls(String version) {
    return e -> e.setEnabledProtocols(new String[] {"TLSv" + version});
  }

  /** What the connect failed with, unwrapped from Reactor's blocking wrapper. */
  static Throwable failure(Mono<TlsConnection> connect) {
    return Exceptions.unwrap(catchThrowable(() -> connect.block(WAIT)));
  }

  static void closeCleanly(TlsConnection c) {
    assertThat(c.shutdown(ShutdownSpec.bidirectional().timeout(WAIT)).block(WAIT).outcome())
        .isEqualTo(Outcome.COMPLETE);
    c.release().block(WAIT);
  }

  @ParameterizedTest
  @ValueSource(strings = {"1.2", "1.3"})
  void refusesACertificateForAnotherHost(String version) throws Exception {
    TestCerts elsewhere = TestCerts.forNames("elsewhere.example");
    int port = PeerProcess.freePort();
    try (PeerProcess server = server(port, elsewhere, version)) {
      Throwable e =
          failure(TlsConnection.connect(localhost(port), elsewhere.client(), loops, tls(version)));

      assertThat(e)
          .isInstanceOf(SSLHandshakeException.class)
          .isNotInstanceOf(ShutdownException.class)
          .hasMessageContaining("No subject alternative DNS name matching localhost found");
      // the JDK's fatal alert went out: the peer learns why instead of seeing the socket close
      server.awaitLine("certificate unknown", WAIT);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"1.2", "1.3"})
  void acceptsTheHostItConnectsToAndSendsItAsSni(String version) throws Exception {
    TestCerts local = TestCerts.forNames("localhost");
    int port = PeerProcess.freePort();
    try (PeerProcess server = server(port, local, version)) {
      TlsConnection c =
          TlsConnection.connect(localhost(port), local.client(), loops, tls(version)).block(WAIT);

      assertThat(c.protocol()).isEqualTo("TLSv" + version);
      server.awaitLine("extension_type=server_name", WAIT);
      server.awaitLine(".localhost", WAIT); // the name's bytes in the trace's hex dump
      closeCleanly(c);
    }
  }

  @Test
  void verifiesAnIpAddressAgainstIpAddressEntriesAndSendsNoSni() {
    TestCerts byAddress = TestCerts.forNames("127.0.0.1");
    int port = PeerProcess.freePort();
    try (PeerProcess server = server(port, byAddress, "1.3")) {
      TlsConnection c =
          TlsConnection.connect(
                  new InetSocketAddress("127.0.0.1", port), byAddress.client(), loops, tls("1.3"))
              .block(WAIT);

      server.awaitLine("ServerHello", WAIT); // traced after every extension of the ClientHello
      assertThat(server.output())
          .contains("ClientHello")
          .doesNotContain("extension_type=server_name");
      closeCleanly(c);
    }
  }

  @Test
  void refusesAnIpAddressTheCertificateDoesNotName() {
    TestCerts byName = TestCerts.forNames("localhost"); // no IP address entry
    int port = PeerProcess.freePort();
    try (PeerProcess server = server(port, byName, "1.3")) {
      Throwable e =
          failure(
              TlsConnection.connect(
                  new InetSocketAddress("127.0.0.1", port), byName.client(), loops, tls("1.3")));

      assertThat(e)
          .isInstanceOf(SSLHandshakeException.class)
          .hasMessageContaining("No subject alternative names matching IP address 127.0.0.1 found");
      server.awaitLine("alert", WAIT);
    }
  }

  @Test
  void aServerNameIsVerifiedAndSentInsteadOfTheConnectHost() {
    TestCerts elsewhere = TestCerts.forNames("elsewhere.example");
    int port = PeerProcess.freePort();
    try (PeerProcess server = server(port, elsewhere, "1.3")) {
      TlsConnection c =
          TlsConnection.connect(
                  new InetSocketAddress("127.0.0.1", port),
                  elsewhere.client(),
                  loops,
                  HostnameVerification.defaults().serverName("elsewhere.example"),
                  tls("1.3"))
              .block(WAIT);

      server.awaitLine(".elsewhere", WAIT); // the start of the name in the hex dump
      closeCleanly(c);
    }
  }

  @Test
  void insecureSkipHostnameVerificationAcceptsACertificateForAnotherHost() throws Exception {
    TestCerts elsewhere = TestCerts.forNames("elsewhere.example");
    int port = PeerProcess.freePort();
    try (PeerProcess server = server(port, elsewhere, "1.3")) {
      TlsConnection c =
          TlsConnection.connect(
                  localhost(port),
                  elsewhere.client(),
                  loops,
                  HostnameVerification.insecureSkipHostnameVerification(),
                  tls("1.3"))
              .block(WAIT);

      closeCleanly(c);
      server.awaitLine("DONE", WAIT);
    }
  }

  @Test
  void skippingHostnameVerificationStillChecksTheChain() throws Exception {
    TestCerts served = TestCerts.forNames("localhost");
    TestCerts other = TestCerts.forNames("localhost");
    int port = PeerProcess.freePort();
    try (PeerProcess server = server(port, served, "1.3")) {
      Throwable e =
          failure(
              TlsConnection.connect(
                  localhost(port),
                  other.client(), // trusts another certificate only
                  loops,
                  HostnameVerification.insecureSkipHostnameVerification(),
                  tls("1.3")));

      assertThat(e).isInstanceOf(SSLHandshakeException.class).hasMessageContaining("PKIX path");
      server.awaitLine("alert", WAIT);
    }
  }

  @Test
  void theEngineConfigurerCannotTurnVerificationOff() throws Exception {
    TestCerts elsewhere = TestCerts.forNames("elsewhere.example");
    int port = PeerProcess.freePort();
    try (PeerProcess server = server(port, elsewhere, "1.3")) {
      Consumer<SSLEngine> clearing =
          e -> {
            SSLParameters p = e.getSSLParameters();
            p.setEndpointIdentificationAlgorithm(null);
            e.setSSLParameters(p);
          };

      Throwable e =
          failure(TlsConnection.connect(localhost(port), elsewhere.client(), loops, clearing));

      assertThat(e).isInstanceOf(SSLHandshakeException.class).hasMessageContaining("localhost");
      server.awaitLine("alert", WAIT);
    }
  }

  @Test
  void anUnresolvedHostFailsTheConnectAsAnUnknownHost() {
    Throwable e =
        failure(
            TlsConnection.connect(
                InetSocketAddress.createUnresolved("no-such-host.invalid", 443),
                TestCerts.create().client(),
                loops,
                x -> {}));

    assertThat(e)
        .isInstanceOf(UnknownHostException.class)
        .hasMessageContaining("no-such-host.invalid");
  }

  // T14 with S1: a DTLS client verifies the host name too.
  @Test
  void dtlsRefusesACertificateForAnotherHost() throws Exception {
    TestCerts elsewhere = TestCerts.forNames("elsewhere.example");
    int port = PeerProcess.freePort();
    try (PeerProcess server = dtlsServer(port, elsewhere)) {
      Throwable e =
          failure(
              TlsConnection.connectDatagram(
                  localhost(port), elsewhere.dtlsClient(), loops, x -> {}, Schedulers.parallel()));

      assertThat(e)
          .isInstanceOf(SSLHandshakeException.class)
          .hasMessageContaining("No subject alternative DNS name matching localhost found");
      server.awaitLine("alert", WAIT);
    }
  }

  @Test
  void dtlsAcceptsAnIpAddressTheCertificateNames() {
    TestCerts byAddress = TestCerts.forNames("127.0.0.1");
    int port = PeerProcess.freePort();
    try (PeerProcess server = dtlsServer(port, byAddress)) {
      TlsConnection c =
          TlsConnection.connectDatagram(
                  new InetSocketAddress("127.0.0.1", port),
                  byAddress.dtlsClient(),
                  loops,
                  x -> {},
                  Schedulers.parallel())
              .block(WAIT);

      assertThat(c.protocol()).isEqualTo("DTLSv1.2");
      closeCleanly(c);
      server.awaitLine("DONE", WAIT);
    }
  }

  static PeerProcess dtlsServer(int port, TestCerts certs) {
    PeerProcess p = PeerProcess.server(port, certs, "-dtls1_2", "-naccept", "1");
    return p;
  }
}
