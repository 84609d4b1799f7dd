package dev.graceful.quic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.graceful.core.CloseInfo;
import dev.graceful.core.LoopGroup;
import dev.graceful.testkit.SelfSignedCertificate;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import reactor.core.Exceptions;

/**
 * Q12 for a connect: a handshake that a CONNECTION_CLOSE ended fails as a {@link
 * QuicHandshakeException} saying which close, against real Kwik servers that refuse the client or
 * that the client refuses.
 */
class QuicHandshakeFailureIT {
  static final Duration WAIT = Duration.ofSeconds(20);

  /** RFC 9001 §4.8: a TLS alert is the transport error CRYPTO_ERROR 0x100 plus the alert. */
  static final long NO_APPLICATION_PROTOCOL = 0x100 + 120;

  static final long BAD_CERTIFICATE = 0x100 + 42;

  static LoopGroup loops;

  @BeforeAll
  static void setUp() {
    loops = LoopGroup.create(1);
  }

  @AfterAll
  static void tearDown() {
    loops.shutdown().block(WAIT);
  }

  static Throwable failure(QuicClient client) {
    return Exceptions.unwrap(catchThrowable(() -> client.connect(loops).block(WAIT)));
  }

  // Q12: the server refuses the client's application protocol with a TLS alert; the connect fails
  // with the server's close: CRYPTO_ERROR (no_application_protocol), a transport close, the peer's.
  @Tag("Q12")
  @Test
  void serverRefusingTheApplicationProtocolFailsWithItsClose() throws Exception {
    try (KwikPeer peer = new KwikPeer()) {
      Throwable e =
          failure(
              QuicClient.to(new InetSocketAddress("127.0.0.1", peer.port), "not-served")
                  .trustManager(peer.trustManager())
                  .serverName("localhost"));

      assertThat(e).isInstanceOf(QuicHandshakeException.class);
      CloseInfo close = ((QuicHandshakeException) e).closeInfo();
      assertThat(close.errorCode()).isEqualTo(NO_APPLICATION_PROTOCOL);
      assertThat(close.transport()).isTrue();
      assertThat(close.local()).isFalse();
      assertThat(peer.connected).isNotDone();
    }
  }

  // Q12, S1: the client refuses a certificate for another host; the connect fails as a handshake
  // failure with the JDK's message and the close this side sent: CRYPTO_ERROR (bad_certificate).
  @Tag("Q12")
  @Tag("S1")
  @Test
  void refusedCertificateFailsWithTheAlertThisSideSent() throws Exception {
    try (KwikPeer peer = KwikPeer.presenting(SelfSignedCertificate.generate(List.of("other")))) {
      InetSocketAddress localhost =
          new InetSocketAddress(
              InetAddress.getByAddress("localhost", new byte[] {127, 0, 0, 1}), peer.port);
      Throwable e = failure(QuicClient.to(localhost, "graceful").trustManager(peer.trustManager()));

      assertThat(e)
          .isInstanceOf(SSLHandshakeException.class)
          .isInstanceOf(QuicHandshakeException.class)
          .hasMessageContaining("No subject alternative DNS name matching localhost found");
      assertThat(((QuicHandshakeException) e).closeInfo())
          .isEqualTo(
              CloseInfo.transport(
                  BAD_CERTIFICATE, 0, ((QuicHandshakeException) e).closeInfo().reason(), true));
      assertThat(peer.connected).isNotDone();
    }
  }
}
