package dev.graceful.netty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graceful.core.Initiator;
import dev.graceful.core.Outcome;
import dev.graceful.core.ShutdownException;
import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.core.ShutdownState;
import dev.graceful.netty.internal.NettyCleartextEngine;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;
import reactor.test.scheduler.VirtualTimeScheduler;

/**
 * G7: a cleartext connection's shutdown by TCP's FIN, on a Netty channel over loopback against a
 * plain socket peer (the test's thread), with timeouts on virtual time.
 */
@Tag("G7")
class NettyCleartextConnectionTest {
  static final Duration VERIFY = Duration.ofSeconds(10);
  static EventLoopGroup loops;
  ServerSocket listening;
  Socket peer;
  Channel channel;

  @BeforeAll
  static void setUpLoops() {
    loops = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  }

  @AfterAll
  static void tearDownLoops() throws Exception {
    loops.shutdownGracefully(0, 5, TimeUnit.SECONDS).get(10, TimeUnit.SECONDS);
  }

  @BeforeEach
  void connect() throws Exception {
    listening = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
    channel =
        new Bootstrap()
            .group(loops)
            .channel(NioSocketChannel.class)
            .handler(new ChannelInboundHandlerAdapter())
            .connect(listening.getLocalSocketAddress())
            .sync()
            .channel();
    peer = listening.accept();
    peer.setSoTimeout((int) VERIFY.toMillis());
  }

  @AfterEach
  void close() throws Exception {
    channel.close().sync();
    peer.close();
    listening.close();
  }

  @Test
  void bidirectionalCompletesWhenThePeerAnswersWithItsFin() throws Exception {
    NettyCleartextConnection c = NettyCleartextConnection.of(channel);
    var result = c.shutdown(ShutdownSpec.bidirectional().timeout(VERIFY)).toFuture();
    assertThat(peer.getInputStream().read()).as("our FIN").isEqualTo(-1);
    assertThat(channel.isActive()).as("half-closed: still open for the peer's bytes").isTrue();
    peer.shutdownOutput();
    ShutdownResult r = result.get(10, TimeUnit.SECONDS);

    assertThat(r.outcome()).isEqualTo(Outcome.COMPLETE);
    assertThat(r.state()).isEqualTo(ShutdownState.SENT_AND_RECEIVED);
    assertThat(r.initiator()).isEqualTo(Initiator.LOCAL);
    assertThat(r.protocol()).isEqualTo(NettyCleartextEngine.PROTOCOL);
    assertThat(r.unauthenticatedEof()).isTrue();
    assertThat(r.truncationRisk()).isFalse();
    assertThat(r.sessionResumable()).isFalse();
  }

  @Test
  void bytesThePeerSendsBeforeItsFinAreCounted() throws Exception {
    NettyCleartextConnection c = NettyCleartextConnection.of(channel);
    var result =
        c.shutdown(ShutdownSpec.bidirectional().discardUnread().timeout(VERIFY)).toFuture();
    assertThat(peer.getInputStream().read()).isEqualTo(-1);
    peer.getOutputStream().write(new byte[100]);
    peer.shutdownOutput();
    ShutdownResult r = result.get(10, TimeUnit.SECONDS);
    assertThat(r.outcome()).isEqualTo(Outcome.COMPLETE);
    assertThat(r.connectionBytesRead()).isEqualTo(100);
    assertThat(r.bytesRead()).isEqualTo(100);
  }

  @Test
  void fastSendsTheFinAndMarksTheTruncationRisk() throws Exception {
    NettyCleartextConnection c = NettyCleartextConnection.of(channel);
    ShutdownResult r = c.shutdown(ShutdownSpec.bidirectional().fast()).block(VERIFY);
    assertThat(r.outcome()).isEqualTo(Outcome.SENT);
    assertThat(r.state()).isEqualTo(ShutdownState.SENT);
    assertThat(r.truncationRisk()).isTrue();
    assertThat(r.unauthenticatedEof()).isFalse();
    assertThat(peer.getInputStream().read()).isEqualTo(-1);
  }

  @Test
  void peerFinFirstIsReportedAsPeerInitiated() throws Exception {
    NettyCleartextConnection c = NettyCleartextConnection.of(channel);
    peer.shutdownOutput();
    channel.closeFuture().await(10, TimeUnit.SECONDS); // Netty closes on the peer's FIN
    ShutdownResult r = c.shutdown(ShutdownSpec.bidirectional()).block(VERIFY);
    assertThat(r.outcome()).isEqualTo(Outcome.COMPLETE);
    assertThat(r.initiator()).isEqualTo(Initiator.PEER);
    assertThat(r.state()).isEqualTo(ShutdownState.SENT_AND_RECEIVED);
    assertThat(r.unauthenticatedEof()).isTrue();
  }

  @Test
  void silentPeerTimesOutOnTheSpecsClock() {
    NettyCleartextConnection c = NettyCleartextConnection.of(channel);
    VirtualTimeScheduler vts = VirtualTimeScheduler.create();
    StepVerifier.withVirtualTime(
            () ->
                c.shutdown(
                    ShutdownSpec.bidirectional().timeout(Duration.ofSeconds(30)).scheduler(vts)),
            () -> vts,
            1)
        .expectSubscription()
        // the shutdown's first step runs on the channel's loop and arms the deadline there: let
        // it run before virtual time moves, or a deadline armed after the move waits for the next
        .then(() -> channel.eventLoop().submit(() -> {}).syncUninterruptibly())
        .thenAwait(Duration.ofSeconds(30))
        .expectErrorSatisfies(
            e -> {
              assertThat(e).isInstanceOf(ShutdownException.class);
              assertThat(((ShutdownException) e).reason())
                  .isEqualTo(ShutdownException.Reason.TIMEOUT);
            })
        .verify(VERIFY);
    assertThat(c.shutdownState().sent()).isTrue();
  }

  @Test
  void quicModesAreRefused() {
    NettyCleartextConnection c = NettyCleartextConnection.of(channel);
    StepVerifier.create(c.shutdown(ShutdownSpec.bidirectional().rfc()))
        .expectErrorSatisfies(
            e ->
                assertThat(((ShutdownException) e).reason())
                    .isEqualTo(ShutdownException.Reason.INVALID_ARGUMENT))
        .verify(VERIFY);
    assertThat(c.shutdownState()).isEqualTo(ShutdownState.NONE);
  }

  @Test
  void sameChannelSameConnection() {
    assertThat(NettyCleartextConnection.of(channel)).isSameAs(NettyCleartextConnection.of(channel));
    assertThat(NettyCleartextConnection.of(channel).connectionId()).startsWith("netty:");
  }

  @Test
  void channelThatCannotHalfCloseEndsSentWithItsClose() {
    EmbeddedChannel embedded = new EmbeddedChannel();
    NettyCleartextConnection c = NettyCleartextConnection.of(embedded);
    var result = c.shutdown(ShutdownSpec.bidirectional()).toFuture();
    for (int i = 0; i < 5; i++) {
      embedded.runPendingTasks();
    }
    ShutdownResult r = result.getNow(null);
    assertThat(r).isNotNull();
    assertThat(r.outcome()).isEqualTo(Outcome.SENT);
    assertThat(r.truncationRisk()).isTrue();
    assertThat(embedded.isOpen()).isFalse();
  }

  @Test
  void nullChannelIsRefused() {
    assertThatThrownBy(() -> NettyCleartextConnection.of(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("channel");
  }
}
