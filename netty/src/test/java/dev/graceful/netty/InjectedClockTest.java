package dev.graceful.netty;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graceful.core.ShutdownException;
import dev.graceful.core.ShutdownException.Reason;
import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.testkit.TestCerts;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.ReferenceCountUtil;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.test.scheduler.VirtualTimeScheduler;

/**
 * R3 for the timers the reactor-netty integration runs outside a caller's own shutdown: the answer
 * to a client's close_notify, and the looks at a WebSocket upgrade under way when a server shutdown
 * begins. Each runs on the clock it was given, so virtual time alone ends it.
 */
@Tag("R3")
class InjectedClockTest {
  static TestCerts certs;

  @BeforeAll
  static void certs() {
    certs = TestCerts.create();
  }

  /** Holds every write: nothing the server sends gets out, and no write completes. */
  static final class HoldWrites extends ChannelOutboundHandlerAdapter {
    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
      ReferenceCountUtil.release(msg);
    }
  }

  @Test
  void answerToAPeersCloseNotifyTimesOutOnTheGivenClock() throws Exception {
    VirtualTimeScheduler vts = VirtualTimeScheduler.create();
    try (EmbeddedTlsPair pair = EmbeddedTlsPair.handshaken(certs, SslProvider.JDK, "TLSv1.3")) {
      pair.connection.answerWith(
          ShutdownSpec.bidirectional().waitPeer().timeout(Duration.ofSeconds(3)).scheduler(vts));
      pair.server.pipeline().addFirst("hold", new HoldWrites());
      CompletableFuture<ShutdownResult> ended = pair.connection.ended().toFuture();

      pair.clientClosesOutbound();
      pair.pump(); // the server reads the close_notify; its answer cannot get out
      vts.advanceTimeBy(Duration.ofMillis(2_999));
      pair.server.runPendingTasks();
      assertThat(ended).as("before the answer's deadline").isNotDone();

      vts.advanceTimeBy(Duration.ofMillis(1));
      pair.server.runPendingTasks();
      assertThat(ended).as("at the answer's deadline").isDone();
      try {
        ended.get();
        throw new AssertionError("expected TIMEOUT, got " + ended.join());
      } catch (ExecutionException e) {
        assertThat(e.getCause()).isInstanceOf(ShutdownException.class);
        assertThat(((ShutdownException) e.getCause()).reason()).isEqualTo(Reason.TIMEOUT);
      }
    }
  }

  @Test
  void websocketUpgradeLooksRunOnTheShutdownsClock() {
    VirtualTimeScheduler vts = VirtualTimeScheduler.create();
    // a channel whose WebSocket upgrade never completes: no reactor-netty WebSocket on it
    EmbeddedChannel channel = new EmbeddedChannel();
    ShutdownNotice notice = new ShutdownNotice(channel);
    NettyCleartextConnection plain = NettyCleartextConnection.of(channel);
    CompletableFuture<Void> settled = notice.settled().toFuture();

    WebSocketGoingAway.announce(channel, notice, null, plain, vts);
    channel.runPendingTasks();
    Duration allLooks =
        WebSocketGoingAway.UPGRADE_LOOK.multipliedBy(WebSocketGoingAway.UPGRADE_LOOKS);
    for (Duration t = Duration.ZERO;
        t.compareTo(allLooks.minus(WebSocketGoingAway.UPGRADE_LOOK)) < 0;
        t = t.plus(WebSocketGoingAway.UPGRADE_LOOK)) {
      vts.advanceTimeBy(WebSocketGoingAway.UPGRADE_LOOK);
      channel.runPendingTasks();
    }
    assertThat(settled).as("still looking before the last look").isNotDone();

    vts.advanceTimeBy(WebSocketGoingAway.UPGRADE_LOOK);
    channel.runPendingTasks();
    assertThat(settled).as("given up after the last look, on virtual time alone").isDone();
    assertThat(channel.isActive()).as("the connection is left to its shutdown").isTrue();
    Mono.fromRunnable(channel::finishAndReleaseAll).block();
  }
}
