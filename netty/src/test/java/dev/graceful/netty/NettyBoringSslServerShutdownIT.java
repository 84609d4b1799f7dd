package dev.graceful.netty;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graceful.core.Initiator;
import dev.graceful.core.Outcome;
import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.core.ShutdownState;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslProvider;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import reactor.netty.DisposableServer;

/**
 * Every test of {@link NettyServerShutdownIT} again, with Netty's OpenSSL engine (BoringSSL from
 * netty-tcnative) under the reactor-netty HTTPS server's SslHandler: G1–G5 hold whichever engine
 * Netty drives, but one: a TLS 1.3 half-close.
 */
class NettyBoringSslServerShutdownIT extends NettyServerShutdownIT {
  @BeforeAll
  static void openSslLoads() {
    OpenSsl.ensureAvailability(); // fails the class, not skips it, when the engine cannot load
    assertThat(OpenSsl.versionString()).contains("BoringSSL");
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
  // ever keeps its outbound side open, this fails, and the README's advice (the JDK provider for
  // half-closing clients) can go.
  @Test
  @Override
  @DisplayName("tls13HalfCloseLosesTheResponseWithNettysOpenSslEngine")
  void tls13HalfCloseStillGetsTheResponse() throws Exception {
    GracefulServer graceful = GracefulServer.create();
    DisposableServer server = start(graceful);
    try {
      HttpsClient c = HttpsClient.connect(address(server), certs.client(), clientLoops, "TLSv1.3").block(WAIT);
      CompletableFuture<ShutdownResult> serverSide = new CompletableFuture<>();
      c.get("/slow").block(WAIT);
      ShutdownResult half = c.tls.shutdown(ShutdownSpec.bidirectional().fast()).block(WAIT);
      assertThat(half.outcome()).isEqualTo(Outcome.SENT);
      awaitOpen(graceful, 1);
      graceful.openConnections().iterator().next().ended().subscribe(serverSide::complete);
      c.readUntilServerCloses();
      c.ended().get(30, TimeUnit.SECONDS); // a close_notify, not a truncation
      assertThat(c.responses()).as("the response could not follow the engine's close_notify").isZero();
      ShutdownResult s = serverSide.get(30, TimeUnit.SECONDS);
      assertThat(s.outcome()).isEqualTo(Outcome.COMPLETE);
      assertThat(s.initiator()).isEqualTo(Initiator.PEER);
      assertThat(s.state()).isEqualTo(ShutdownState.SENT_AND_RECEIVED);
    } finally {
      server.disposeNow(Duration.ofSeconds(5));
    }
  }
}
