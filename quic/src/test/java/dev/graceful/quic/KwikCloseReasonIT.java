package dev.graceful.quic;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import tech.kwik.core.ConnectionTerminatedEvent;
import tech.kwik.core.QuicClientConnection;

/**
 * Q1–Q3 against real Kwik peers on loopback: what a Kwik server receives when a Kwik client closes
 * with arguments fitted by {@link QuicCloseArguments}, and, for contrast, with a raw long reason.
 */
class KwikCloseReasonIT {
  KwikPeer peer;

  @BeforeEach
  void startServer() throws Exception {
    peer = new KwikPeer(2); // a 2 s idle timeout ends the contrast case
  }

  @AfterEach
  void stopServer() {
    peer.close();
  }

  QuicClientConnection connect() throws Exception {
    return peer.client(Duration.ofSeconds(2));
  }

  // Q1, Q3: a 10 kB multi-byte reason, fitted, arrives truncated, valid, with the code.
  @Tag("Q1")
  @Tag("Q3")
  @Test
  void fittedLongReasonArrivesTruncatedAndValid() throws Exception {
    String reason = "€😀é".repeat(2_000);
    QuicCloseArguments args = QuicCloseArguments.of(42, reason);
    QuicClientConnection c = connect();
    c.close(args.errorCode(), args.reason());
    ConnectionTerminatedEvent e = peer.awaitEnd();
    assertThat(e.closedByPeer()).isTrue();
    assertThat(e.closeReason()).isEqualTo(ConnectionTerminatedEvent.CloseReason.ImmediateClose);
    assertThat(e.applicationErrorCode()).isEqualTo(42L);
    // Kwik reports "Application error: <code> (<reason>)"
    assertThat(e.errorDescription()).isEqualTo("Application error: 42 (" + args.reason() + ")");
    assertThat(args.reason().getBytes(StandardCharsets.UTF_8).length).isBetween(1021, 1024);
    assertThat(reason).startsWith(args.reason());
  }

  // Why Q3 matters: the same reason handed to Kwik unfitted sends no CONNECTION_CLOSE at all; the
  // server learns of the end only from its idle timeout.
  @Tag("Q3")
  @Test
  void rawLongReasonSendsNoConnectionClose() throws Exception {
    QuicClientConnection c = connect();
    c.close(42, "€😀é".repeat(2_000));
    ConnectionTerminatedEvent e = peer.awaitEnd();
    assertThat(e.closedByPeer()).isFalse();
    assertThat(e.closeReason()).isNotEqualTo(ConnectionTerminatedEvent.CloseReason.ImmediateClose);
  }
}
