package dev.graceful.samples.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graceful.core.Initiator;
import dev.graceful.core.Outcome;
import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownState;
import dev.graceful.testkit.PeerProcess;
import dev.graceful.testkit.TestCerts;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * README's TLS quick start against {@code openssl s_server -www}, which answers, then sends its
 * close_notify.
 */
class TlsClientExampleIT {
  static final Duration WAIT = Duration.ofSeconds(20);
  static final byte[] REQUEST = "GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

  // T2, T5: the request is answered while our close_notify is on its way; the response is handed
  // to the caller, the server's close_notify completes the exchange.
  @Test
  @Tag("T2")
  @Tag("T5")
  void responseArrivesThenBothCloseNotifiesAreExchanged() throws Exception {
    TestCerts certs = TestCerts.create();
    int port = PeerProcess.freePort();
    try (PeerProcess server = PeerProcess.server(port, certs, "-naccept", "1", "-www")) {
      SSLContext context = TlsClientExample.trusting(certs.certFile(), "TLS");
      ByteArrayOutputStream response = new ByteArrayOutputStream();

      ShutdownResult r =
          TlsClientExample.requestThenClose(
              new InetSocketAddress("localhost", port), context, REQUEST, response);

      assertThat(r.outcome()).isEqualTo(Outcome.COMPLETE);
      assertThat(r.state()).isEqualTo(ShutdownState.SENT_AND_RECEIVED);
      assertThat(r.initiator()).isEqualTo(Initiator.LOCAL);
      assertThat(response.toString(StandardCharsets.US_ASCII)).startsWith("HTTP/1.0 200 ok");
      assertThat(r.bytesRead()).isEqualTo(response.size());
      assertThat(server.awaitExit(WAIT)).as(server::tail).isZero();
    }
  }

  // S1: the context trusts one certificate only; a server with another one is refused.
  @Test
  @Tag("S1")
  void serverWithAnUntrustedCertificateIsRefused() throws Exception {
    TestCerts serverCerts = TestCerts.create();
    TestCerts otherCa = TestCerts.create();
    int port = PeerProcess.freePort();
    PeerProcess server = PeerProcess.server(port, serverCerts, "-naccept", "1", "-www");
    try {
      SSLContext context = TlsClientExample.trusting(otherCa.certFile(), "TLS");
      assertThatThrownBy(
              () ->
                  TlsClientExample.requestThenClose(
                      new InetSocketAddress("localhost", port),
                      context,
                      REQUEST,
                      new ByteArrayOutputStream()))
          .hasStackTraceContaining("SSLHandshakeException");
    } finally {
      server.close();
    }
  }
}
