package dev.graceful.netty;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graceful.core.Initiator;
import dev.graceful.core.Outcome;
import dev.graceful.core.ShutdownState;
import io.netty.handler.ssl.SslProvider;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Every test of {@link NettyServerShutdownIT} again, with Netty's OpenSSL engine (BoringSSL from
 * netty-tcnative) under the reactor-netty HTTPS server's SslHandler: G1–G5 hold whichever engine
 * Netty drives, but one: a TLS 1.3 half-close.
 */
class NettyBoringSslServerShutdownIT extends NettyServerShutdownIT {
  @BeforeAll
  static void openSslLoads() {
    NettyEngines.requireBoringSsl();
  }

  @Override
  SslProvider provider() {
    return SslProvider.OPENSSL;
  }

  // TLS 1.3 half-close with Netty's OpenSSL engine: the engine answers the client's close_notify
  // by itself, at once (Netty's ReferenceCountedOpenSslEngine closes its outbound side when it
  // reads one, as TLS 1.2 requires), so the response still in flight cannot follow. What graceful
  // still guarantees: the client gets a clean end (a close_notify, no truncation), and the server
  // reports a peer-initiated COMPLETE with both close_notify sent and received. If Netty's engine
  // ever keeps its outbound side open, this fails, and the advice in docs/tls.md (the JDK provider
  // for
  // half-closing clients) can go.
  @Tag("T3")
  @Test
  @Override
  @DisplayName("tls13HalfCloseLosesTheResponseWithNettysOpenSslEngine")
  void tls13HalfCloseStillGetsTheResponse() throws Exception {
    HalfClose h = halfCloseAfterASlowRequest();
    assertThat(h.responses())
        .as("the response could not follow the engine's close_notify")
        .isZero();
    assertThat(h.server().outcome()).isEqualTo(Outcome.COMPLETE);
    assertThat(h.server().initiator()).isEqualTo(Initiator.PEER);
    assertThat(h.server().state()).isEqualTo(ShutdownState.SENT_AND_RECEIVED);
  }
}
