package dev.graceful.quic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.graceful.core.LoopGroup;
import dev.graceful.core.Outcome;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.testkit.SelfSignedCertificate;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import reactor.core.Exceptions;

/**
 * S1 over QUIC: {@link QuicClient} verifies the server's host name by default, against real Kwik
 * servers presenting certificates for chosen names.
 */
@Tag("S1")
class QuicHostnameVerificationIT {
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

  static KwikPeer peerFor(String... names) throws Exception {
    return KwikPeer.presenting(SelfSignedCertificate.generate(List.of(names)));
  }

  /** {@code localhost} at 127.0.0.1, without asking DNS. */
  static InetSocketAddress localhost(int port) throws UnknownHostException {
    return new InetSocketAddress(
        InetAddress.getByAddress("localhost", new byte[] {127, 0, 0, 1}), port);
  }

  static QuicClient client(KwikPeer peer, InetSocketAddress at) throws Exception {
    return QuicClient.to(at, "graceful").trustManager(peer.trustManager());
  }

  static Throwable failure(QuicClient client) {
    return Exceptions.unwrap(catchThrowable(() -> client.connect(loops).block(WAIT)));
  }

  /** The connection works: the peer sees it, and a shutdown completes. */
  static void usable(KwikPeer peer, QuicConnection c) throws Exception {
    peer.connected.get(10, java.util.concurrent.TimeUnit.SECONDS);
    assertThat(c.shutdown(ShutdownSpec.bidirectional().rfc().timeout(WAIT)).block(WAIT).outcome())
        .isEqualTo(Outcome.COMPLETE);
  }

  @Test
  void refusesACertificateForAnotherHost() throws Exception {
    try (KwikPeer peer = peerFor("elsewhere.example")) {
      Throwable e = failure(client(peer, localhost(peer.port)));

      assertThat(e)
          .isInstanceOf(SSLHandshakeException.class)
          .hasMessageContaining("No subject alternative DNS name matching localhost found");
      assertThat(peer.connected).isNotDone();
    }
  }

  @Test
  void acceptsACertificateForTheHostItConnectsTo() throws Exception {
    try (KwikPeer peer = peerFor("localhost")) {
      usable(peer, client(peer, localhost(peer.port)).connect(loops).block(WAIT));
    }
  }

  @Test
  void verifiesAnIpAddressAgainstIpAddressEntries() throws Exception {
    try (KwikPeer peer = peerFor("127.0.0.1")) {
      usable(
          peer,
          client(peer, new InetSocketAddress("127.0.0.1", peer.port)).connect(loops).block(WAIT));
    }
  }

  @Test
  void refusesAnIpAddressTheCertificateDoesNotName() throws Exception {
    try (KwikPeer peer = peerFor("localhost")) {
      Throwable e = failure(client(peer, new InetSocketAddress("127.0.0.1", peer.port)));

      assertThat(e)
          .isInstanceOf(SSLHandshakeException.class)
          .hasMessageContaining("No subject alternative names matching IP address 127.0.0.1 found");
    }
  }

  @Test
  void aServerNameIsVerifiedInsteadOfTheConnectHost() throws Exception {
    try (KwikPeer peer = peerFor("elsewhere.example")) {
      QuicConnection c =
          client(peer, new InetSocketAddress("127.0.0.1", peer.port))
              .serverName("elsewhere.example")
              .connect(loops)
              .block(WAIT);

      usable(peer, c);
    }
  }

  @Test
  void insecureSkipHostnameVerificationAcceptsACertificateForAnotherHost() throws Exception {
    try (KwikPeer peer = peerFor("elsewhere.example")) {
      QuicClient insecure = client(peer, localhost(peer.port)).insecureSkipHostnameVerification();

      assertThat(insecure.verifiesHostname()).isFalse();
      assertThat(insecure.toString()).contains("INSECURE");
      usable(peer, insecure.connect(loops).block(WAIT));
    }
  }

  @Test
  void skippingHostnameVerificationStillChecksTheChain() throws Exception {
    try (KwikPeer peer = peerFor("localhost");
        KwikPeer other = peerFor("localhost")) {
      Throwable e =
          failure(
              QuicClient.to(localhost(peer.port), "graceful")
                  .trustManager(other.trustManager()) // trusts another certificate only
                  .insecureSkipHostnameVerification());

      assertThat(e).isInstanceOf(SSLHandshakeException.class).hasMessageContaining("PKIX path");
    }
  }

  @Test
  void anUnresolvedHostFailsAsAnUnknownHost() {
    Throwable e =
        failure(
            QuicClient.to(
                InetSocketAddress.createUnresolved("no-such-host.invalid", 443), "graceful"));

    assertThat(e)
        .isInstanceOf(UnknownHostException.class)
        .hasMessageContaining("no-such-host.invalid");
  }
}
