package dev.graceful.netty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graceful.core.Outcome;
import dev.graceful.core.ServerShutdown;
import dev.graceful.core.ShutdownReport;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.netty.internal.Http1Drain;
import dev.graceful.netty.internal.NettyCleartextEngine;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.netty.Connection;
import reactor.netty.DisposableServer;
import reactor.netty.NettyPipeline;
import reactor.test.StepVerifier;
import reactor.test.publisher.PublisherProbe;
import reactor.test.scheduler.VirtualTimeScheduler;

/**
 * GracefulServer's draining signal and exchange tracking, on embedded channels and virtual time.
 */
class GracefulServerTest {
  static final Duration VERIFY = Duration.ofSeconds(10);

  /** A bound server: only its listening channel matters to a shutdown. */
  static DisposableServer server(EmbeddedChannel listening) {
    return () -> listening;
  }

  @Tag("G8")
  @Test
  void drainingCompletesWhenTheShutdownBeginsAndAtOnceForLateSubscribers() {
    GracefulServer graceful = GracefulServer.create();
    PublisherProbe<Void> early = PublisherProbe.of(graceful.draining());
    early.mono().subscribe();
    assertThat(graceful.isDraining()).isFalse();
    early.assertWasSubscribed();
    assertThat(early.wasCancelled()).isFalse();

    Mono<ShutdownReport> shutdown =
        graceful.shutdown(
            server(new EmbeddedChannel()), ServerShutdown.of(ShutdownSpec.bidirectional()));
    assertThat(graceful.isDraining()).as("cold: nothing before subscription").isFalse();
    StepVerifier.create(shutdown)
        .assertNext(r -> assertThat(r.connections()).isZero())
        .expectComplete()
        .verify(VERIFY);

    assertThat(graceful.isDraining()).isTrue();
    StepVerifier.create(early.mono()).expectComplete().verify(VERIFY);
    StepVerifier.create(graceful.draining()).expectComplete().verify(VERIFY);
  }

  @Tag("G8")
  @Test
  void secondShutdownKeepsDrainingComplete() {
    GracefulServer graceful = GracefulServer.create();
    graceful
        .shutdown(server(new EmbeddedChannel()), ServerShutdown.of(ShutdownSpec.bidirectional()))
        .block(VERIFY);
    graceful
        .shutdown(server(new EmbeddedChannel()), ServerShutdown.of(ShutdownSpec.bidirectional()))
        .block(VERIFY);
    StepVerifier.create(graceful.draining()).expectComplete().verify(VERIFY);
  }

  // G2 for a TCP connection: an exchange the application marks with track() holds the
  // connection's shutdown (within the grace period) until it ends; the connection is then shut
  // down as cleartext. An embedded channel cannot half-close, so its FIN goes with its close and
  // the result says so: SENT, truncation risk marked.
  @Tag("G2")
  @Tag("G7")
  @Test
  void trackedExchangeHoldsItsConnectionUntilItEnds() {
    VirtualTimeScheduler vts = VirtualTimeScheduler.create();
    GracefulServer graceful = GracefulServer.create();
    EmbeddedChannel conn = new EmbeddedChannel();
    PublisherProbe<Void> work = PublisherProbe.of(Mono.delay(Duration.ofSeconds(2), vts).then());
    graceful.track(Connection.from(conn), work.mono()).subscribe();
    assertThat(graceful.openConnections()).hasSize(1);

    StepVerifier.withVirtualTime(
            () ->
                graceful.shutdown(
                    server(new EmbeddedChannel()),
                    ServerShutdown.of(ShutdownSpec.bidirectional())
                        .grace(Duration.ofSeconds(5))
                        .deadline(Duration.ofSeconds(10))
                        .scheduler(vts)),
            () -> vts,
            Long.MAX_VALUE)
        .expectSubscription()
        .then(() -> runLoop(conn))
        .expectNoEvent(Duration.ofSeconds(1))
        .then(() -> assertThat(conn.isOpen()).as("held while the exchange runs").isTrue())
        .thenAwait(Duration.ofSeconds(1))
        .then(() -> runLoop(conn))
        .assertNext(
            report -> {
              assertThat(report.connections()).isEqualTo(1);
              var result = report.entries().get(0).result().orElseThrow();
              assertThat(result.protocol()).isEqualTo(NettyCleartextEngine.PROTOCOL);
              assertThat(result.outcome()).isEqualTo(Outcome.SENT);
              assertThat(result.truncationRisk()).isTrue();
              assertThat(report.stragglers()).isEmpty();
              assertThat(report.elapsed()).isEqualTo(Duration.ofSeconds(2));
            })
        .expectComplete()
        .verify(VERIFY);
    work.assertWasSubscribed();
    assertThat(conn.isOpen()).isFalse();
    assertThat(graceful.openConnections()).isEmpty();
  }

  // G5: the report counts every connection open when the shutdown began, one that closes in
  // reaction to draining() too (a WebSocket or a stream that ends, and its connection with it, as
  // soon as draining begins). Counted after the signal, it was missing from the report.
  @Tag("G5")
  @Test
  void connectionThatClosesOnDrainingIsStillCounted() {
    GracefulServer graceful = GracefulServer.create();
    EmbeddedChannel conn = new EmbeddedChannel();
    graceful.track(Connection.from(conn), Mono.empty()).block(VERIFY);
    graceful.draining().subscribe(null, null, conn::close);
    assertThat(graceful.openConnections()).hasSize(1);

    StepVerifier.create(
            graceful.shutdown(
                server(new EmbeddedChannel()), ServerShutdown.of(ShutdownSpec.bidirectional())))
        .then(() -> runLoop(conn))
        .assertNext(
            report -> {
              assertThat(report.connections()).isEqualTo(1);
              var result = report.entries().get(0).result().orElseThrow();
              assertThat(result.protocol()).isEqualTo(NettyCleartextEngine.PROTOCOL);
            })
        .expectComplete()
        .verify(VERIFY);
    assertThat(conn.isOpen()).isFalse();
    assertThat(graceful.openConnections()).isEmpty();
  }

  // G1, G2: connections are told of the shutdown (here, HTTP/1.1's drain handler goes in after
  // the codec) as soon as the listener's close began, not once it ended: a busy loop can take a
  // while to close the listener, and a response written meanwhile should say "Connection: close".
  @Tag("G1")
  @Tag("G2")
  @Test
  void connectionsAreToldAsSoonAsTheListenersCloseBegan() {
    GracefulServer graceful = GracefulServer.create();
    HeldClose held = new HeldClose();
    EmbeddedChannel listening = new EmbeddedChannel(held);
    EmbeddedChannel conn = new EmbeddedChannel();
    conn.pipeline().addLast(NettyPipeline.HttpCodec, new HttpServerCodec());
    graceful.track(Connection.from(conn), Mono.empty()).block(VERIFY);

    StepVerifier.create(
            graceful.shutdown(server(listening), ServerShutdown.of(ShutdownSpec.bidirectional())))
        .then(() -> runLoop(conn))
        .then(
            () -> {
              assertThat(listening.isOpen()).as("the listener's close is held").isTrue();
              assertThat(conn.pipeline().get(Http1Drain.NAME)).as("told already").isNotNull();
            })
        .then(held::release)
        .then(() -> runLoop(conn))
        .assertNext(report -> assertThat(report.connections()).isEqualTo(1))
        .expectComplete()
        .verify(VERIFY);
    assertThat(listening.isOpen()).isFalse();
  }

  /** Holds the channel's close until {@link #release()}, as a busy event loop would. */
  static final class HeldClose extends ChannelOutboundHandlerAdapter {
    private ChannelHandlerContext ctx;
    private ChannelPromise promise;

    @Override
    public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
      this.ctx = ctx;
      this.promise = promise;
    }

    void release() {
      ctx.close(promise);
    }
  }

  /**
   * Runs the embedded channel's loop until nothing is left to do (a few rounds: tasks queue tasks).
   */
  static void runLoop(EmbeddedChannel ch) {
    for (int i = 0; i < 10; i++) {
      ch.runPendingTasks();
    }
  }

  @Tag("G2")
  @Test
  void cancelledExchangeNoLongerCounts() {
    VirtualTimeScheduler vts = VirtualTimeScheduler.create();
    GracefulServer graceful = GracefulServer.create();
    EmbeddedChannel conn = new EmbeddedChannel();
    graceful.track(Connection.from(conn), Mono.never()).subscribe().dispose();

    StepVerifier.withVirtualTime(
            () ->
                graceful.shutdown(
                    server(new EmbeddedChannel()),
                    ServerShutdown.of(ShutdownSpec.bidirectional())
                        .grace(Duration.ofSeconds(5))
                        .deadline(Duration.ofSeconds(10))
                        .scheduler(vts)),
            () -> vts,
            Long.MAX_VALUE)
        .expectSubscription()
        .then(() -> runLoop(conn))
        .assertNext(
            report -> assertThat(report.elapsed()).as("not held for the grace period").isZero())
        .expectComplete()
        .verify(VERIFY);
    assertThat(conn.isOpen()).isFalse();
  }

  @Test
  void nullArgumentsAreRefusedWithTheirName() {
    GracefulServer graceful = GracefulServer.create();
    assertThatThrownBy(() -> graceful.track((Connection) null, Mono.empty()))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("connection");
    assertThatThrownBy(() -> graceful.track(Connection.from(new EmbeddedChannel()), null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("exchange");
    assertThatThrownBy(
            () -> graceful.track((reactor.netty.http.server.HttpServerRequest) null, Mono.empty()))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("request");
    assertThatThrownBy(() -> graceful.install(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("server");
    assertThatThrownBy(() -> graceful.http(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("handler");
    assertThatThrownBy(
            () -> graceful.shutdown(null, ServerShutdown.of(ShutdownSpec.bidirectional())))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("server");
  }

  @Test
  void exchangeOnAClosedChannelRunsUntracked() {
    GracefulServer graceful = GracefulServer.create();
    EmbeddedChannel conn = new EmbeddedChannel();
    conn.close();
    StepVerifier.create(graceful.track(Connection.from(conn), Mono.empty()))
        .expectComplete()
        .verify(VERIFY);
    assertThat(graceful.openConnections()).isEmpty();
  }
}
