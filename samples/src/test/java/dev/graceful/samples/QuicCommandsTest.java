package dev.graceful.samples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graceful.core.CloseInfo;
import dev.graceful.core.ShutdownException;
import io.netty.handler.codec.quic.QuicClosedChannelException;
import io.netty.handler.codec.quic.QuicConnectionCloseEvent;
import java.lang.reflect.Constructor;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Q12 in the command line's errors: Netty's closed-connection exception becomes a typed error with
 * the peer's close when Netty has one, and a plain transport error, not a crash, when it has none
 * (quiche ended the connection itself: an idle timeout in the handshake, say).
 */
class QuicCommandsTest {
  @Tag("Q12")
  @Test
  void nettysClosedConnectionWithoutAPeersCloseIsATransportError() throws Exception {
    ShutdownException e = QuicCommands.asShutdownError(closed(null), "quic-client->peer");
    assertThat(e.reason()).isEqualTo(ShutdownException.Reason.TRANSPORT);
    assertThat(e.closeInfo()).isEmpty();
  }

  @Tag("Q12")
  @Test
  void nettysClosedConnectionCarriesThePeersClose() throws Exception {
    Constructor<QuicConnectionCloseEvent> event =
        QuicConnectionCloseEvent.class.getDeclaredConstructor(
            boolean.class, int.class, byte[].class);
    event.setAccessible(true);
    QuicConnectionCloseEvent peers =
        event.newInstance(false, 0x178, "no alpn".getBytes(StandardCharsets.UTF_8));

    ShutdownException e = QuicCommands.asShutdownError(closed(peers), "quic-client->peer");

    assertThat(e.reason()).isEqualTo(ShutdownException.Reason.PROTOCOL);
    assertThat(e.closeInfo()).hasValue(new CloseInfo(0x178, 0, "no alpn", true, false));
    assertThat(e.getMessage()).contains("transport error 0x178 (no alpn)");
  }

  private static QuicClosedChannelException closed(QuicConnectionCloseEvent event)
      throws Exception {
    Constructor<QuicClosedChannelException> c =
        QuicClosedChannelException.class.getDeclaredConstructor(QuicConnectionCloseEvent.class);
    c.setAccessible(true);
    return c.newInstance(event);
  }
}
