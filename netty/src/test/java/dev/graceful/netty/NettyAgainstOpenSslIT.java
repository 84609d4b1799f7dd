package dev.graceful.netty;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graceful.core.Initiator;
import dev.graceful.core.Outcome;
import dev.graceful.core.ShutdownException;
import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.core.ShutdownState;
import dev.graceful.core.TransportPolicy;
import dev.graceful.testkit.LogWatch;
import dev.graceful.testkit.PeerProcess;
import dev.graceful.testkit.TestCerts;
import io.netty.buffer.Unpooled;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslProvider;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import reactor.core.Exceptions;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.tcp.TcpServer;

/**
 * T-behaviours of {@link NettyTlsConnection} on a reactor-netty TCP server, {@code openssl
 * s_client} as the peer.
 */
class NettyAgainstOpenSslIT {
  static final Duration WAIT = Duration.ofSeconds(30);
  static TestCerts certs;
  DisposableServer server;
  final BlockingQueue<NettyTlsConnection> accepted = new LinkedBlockingQueue<>();

  /**
   * @return the SSLEngine under Netty's SslHandler: the JDK's here, BoringSSL in the subclass
   */
  SslProvider provider() {
    return SslProvider.JDK;
  }

  @BeforeAll
  static void certs() {
    certs = TestCerts.create();
  }

  @BeforeEach
  void bind() throws Exception {
    SslContext ctx = NettyEngines.serverContext(provider(), certs);
    server =
        TcpServer.create()
            .host("127.0.0.1")
            .port(0)
            .secure(spec -> spec.sslContext(ctx))
            .handle(
                (in, out) -> {
                  in.withConnection(c -> accepted.add(NettyTlsConnection.of(c)));
                  return out.neverComplete();
                })
            .bindNow(Duration.ofSeconds(10));
  }

  @AfterEach
  void unbind() {
    server.disposeNow(Duration.ofSeconds(5));
  }

  PeerProcess client(String tls) {
    return PeerProcess.start(
        "s_client", "-connect", "127.0.0.1:" + server.port(), "-tls" + tls.replace('.', '_'));
  }

  NettyTlsConnection next() throws InterruptedException {
    NettyTlsConnection c = accepted.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
    assertThat(c).as("accepted").isNotNull();
    return c;
  }

  static void write(NettyTlsConnection c, String text) {
    c.channel()
        .writeAndFlush(Unpooled.copiedBuffer(text, StandardCharsets.UTF_8))
        .syncUninterruptibly();
  }

  static ShutdownException.Reason reason(Mono<?> m) {
    try {
      m.block(WAIT);
      throw new AssertionError("expected an error");
    } catch (RuntimeException e) {
      return ((ShutdownException) Exceptions.unwrap(e)).reason();
    }
  }

  // T2 through reactor-netty: our close_notify after the data written before it; s_client
  // answers and exits cleanly.
  @Tag("T2")
  @ParameterizedTest
  @ValueSource(strings = {"1.2", "1.3"})
  void serverInitiatedCloseIsAnswered(String tls) throws Exception {
    try (PeerProcess peer = client(tls)) {
      NettyTlsConnection c = next();
      write(c, "from-reactor-netty\n");
      ShutdownResult r = c.shutdown(ShutdownSpec.bidirectional().timeout(WAIT)).block(WAIT);
      peer.awaitLine("from-reactor-netty", WAIT);
      assertThat(r.outcome()).isEqualTo(Outcome.COMPLETE);
      assertThat(r.initiator()).isEqualTo(Initiator.LOCAL);
      assertThat(r.state()).isEqualTo(ShutdownState.SENT_AND_RECEIVED);
      assertThat(r.protocol()).isEqualTo("TLSv" + tls);
      assertThat(peer.awaitExit(WAIT)).isZero();
    }
  }

  // T2's failure path, where sending the close_notify throws instead of failing its future
  // (BlockHound's error from inside Netty's allocator did, under the SslHandler's wrap): the
  // shutdown fails at once with a TRANSPORT error carrying the cause, state SENT (T1: attempted),
  // instead of waiting out its deadline and calling the peer's end a truncation.
  @Tag("T1")
  @Tag("T2")
  @org.junit.jupiter.api.Test
  void closeNotifyThatThrowsFailsTheShutdownAtOnce() throws Exception {
    SslContext ctx = NettyEngines.serverContext(provider(), certs);
    BlockingQueue<NettyTlsConnection> conns = new LinkedBlockingQueue<>();
    // plain Netty (reactor-netty builds its own SslHandler): a handler whose closeOutbound throws
    io.netty.channel.EventLoopGroup group =
        new io.netty.channel.MultiThreadIoEventLoopGroup(
            1, io.netty.channel.nio.NioIoHandler.newFactory());
    io.netty.channel.Channel throwing =
        new io.netty.bootstrap.ServerBootstrap()
            .group(group)
            .channel(io.netty.channel.socket.nio.NioServerSocketChannel.class)
            .childHandler(
                new io.netty.channel.ChannelInitializer<io.netty.channel.socket.SocketChannel>() {
                  @Override
                  protected void initChannel(io.netty.channel.socket.SocketChannel ch) {
                    ch.pipeline()
                        .addLast(
                            "ssl",
                            new io.netty.handler.ssl.SslHandler(ctx.newEngine(ch.alloc())) {
                              @Override
                              public io.netty.channel.ChannelFuture closeOutbound() {
                                throw new IllegalStateException("closeOutbound threw");
                              }
                            });
                    conns.add(NettyTlsConnection.of(ch));
                  }
                })
            .bind("127.0.0.1", 0)
            .syncUninterruptibly()
            .channel();
    int port = ((java.net.InetSocketAddress) throwing.localAddress()).getPort();
    try (PeerProcess peer =
        PeerProcess.start("s_client", "-connect", "127.0.0.1:" + port, "-tls1_3")) {
      peer.awaitLine("CONNECTED", WAIT);
      NettyTlsConnection c = conns.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
      assertThat(c).as("accepted").isNotNull();
      c.channel()
          .pipeline()
          .get(io.netty.handler.ssl.SslHandler.class)
          .handshakeFuture()
          .syncUninterruptibly();
      long t0 = System.nanoTime();
      ShutdownException e =
          (ShutdownException)
              Exceptions.unwrap(
                  org.junit.jupiter.api.Assertions.assertThrows(
                      RuntimeException.class,
                      () ->
                          c.shutdown(ShutdownSpec.bidirectional().timeout(Duration.ofSeconds(10)))
                              .block(WAIT)));
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
      assertThat(e.reason()).isEqualTo(ShutdownException.Reason.TRANSPORT);
      assertThat(e.state()).isEqualTo(ShutdownState.SENT);
      assertThat(e.getCause()).hasMessage("closeOutbound threw");
    } finally {
      throwing.close().syncUninterruptibly();
      group.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
    }
  }

  // T3 through reactor-netty: s_client closes first (stdin EOF); graceful answers by itself (the
  // connection is idle) instead of reactor-netty cutting the channel, and reports it.
  @Tag("T3")
  @ParameterizedTest
  @ValueSource(strings = {"1.2", "1.3"})
  void peerInitiatedCloseIsAnsweredAndReported(String tls) throws Exception {
    try (PeerProcess peer = client(tls)) {
      NettyTlsConnection c = next();
      peer.closeStdin();
      ShutdownResult r = c.ended().block(WAIT);
      assertThat(r.outcome()).isEqualTo(Outcome.COMPLETE);
      assertThat(r.initiator()).isEqualTo(Initiator.PEER);
      assertThat(r.state()).isEqualTo(ShutdownState.SENT_AND_RECEIVED);
      assertThat(peer.awaitExit(WAIT)).isZero();
    }
  }

  // T6: fast sends close_notify and does not wait.
  @Tag("T6")
  @ParameterizedTest
  @ValueSource(strings = {"1.2", "1.3"})
  void fastIsSent(String tls) throws Exception {
    try (PeerProcess peer = client(tls)) {
      NettyTlsConnection c = next();
      ShutdownResult r = c.shutdown(ShutdownSpec.bidirectional().fast()).block(WAIT);
      assertThat(r.outcome()).isEqualTo(Outcome.SENT);
      assertThat(r.state().sent()).isTrue();
      assertThat(peer.awaitExit(WAIT)).isZero(); // s_client saw the close_notify
    }
  }

  // T7: quiet sends nothing; with the transport closed s_client sees a bare EOF.
  @Tag("T7")
  @ParameterizedTest
  @ValueSource(strings = {"1.2", "1.3"})
  void quietSendsNothing(String tls) throws Exception {
    try (PeerProcess peer = client(tls)) {
      NettyTlsConnection c = next();
      write(c, "hi\n");
      peer.awaitLine("hi", WAIT);
      ShutdownResult r =
          c.shutdown(ShutdownSpec.bidirectional().quiet().closeTransport(TransportPolicy.CLOSE))
              .block(WAIT);
      assertThat(r.quiet()).isTrue();
      assertThat(r.state()).isEqualTo(ShutdownState.SENT_AND_RECEIVED);
      peer.awaitExit(WAIT);
      assertThat(peer.output()).contains("unexpected eof"); // no close_notify reached s_client
    }
  }

  // T8: the peer dies without close_notify: a waiting shutdown ends TRUNCATED (not a
  // ClosedChannelException); with ignoreUnexpectedEof it is an unauthenticated COMPLETE.
  @Tag("T8")
  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void killedPeerIsTruncated(boolean ignore) throws Exception {
    try (PeerProcess peer = client("1.3")) {
      NettyTlsConnection c = next();
      write(c, "drained\n");
      peer.awaitLine("drained", WAIT);
      peer.kill();
      ShutdownSpec spec = ShutdownSpec.bidirectional().waitPeer().timeout(WAIT);
      if (ignore) {
        ShutdownResult r = c.shutdown(spec.ignoreUnexpectedEof()).block(WAIT);
        assertThat(r.outcome()).isEqualTo(Outcome.COMPLETE);
        assertThat(r.unauthenticatedEof()).isTrue();
      } else {
        assertThat(reason(c.shutdown(spec))).isEqualTo(ShutdownException.Reason.TRUNCATED);
      }
    }
  }

  // G1-G5, G6 (a reactor-netty TCP server over TLS) with real OpenSSL clients: a reactor-netty TCP
  // server tracked by GracefulServer, three
  // s_client connections (TLS 1.2 and 1.3), a graceful shutdown: each s_client receives the data
  // written before the close_notify, answers and exits cleanly; the report counts three COMPLETE.
  @Tag("G3")
  @Tag("G5")
  @Tag("G6")
  @org.junit.jupiter.api.Test
  void gracefulServerShutdownWithOpenSslClients() throws Exception {
    SslContext ctx = NettyEngines.serverContext(provider(), certs);
    GracefulServer graceful = GracefulServer.create();
    DisposableServer tcp =
        graceful
            .install(
                TcpServer.create().host("127.0.0.1").port(0).secure(spec -> spec.sslContext(ctx)))
            .handle((in, out) -> out.sendString(Mono.just("welcome\n")).neverComplete())
            .bindNow(Duration.ofSeconds(10));
    java.util.List<PeerProcess> peers = new java.util.ArrayList<>();
    try {
      for (String tls : new String[] {"1.2", "1.3", "1.3"}) {
        PeerProcess p =
            PeerProcess.start(
                "s_client", "-connect", "127.0.0.1:" + tcp.port(), "-tls" + tls.replace('.', '_'));
        peers.add(p);
        p.awaitLine("welcome", WAIT);
      }
      dev.graceful.core.ShutdownReport report =
          graceful
              .shutdown(
                  tcp,
                  dev.graceful.core.ServerShutdown.of(ShutdownSpec.bidirectional())
                      .deadline(Duration.ofSeconds(10)))
              .block(WAIT);
      assertThat(report.connections()).isEqualTo(3);
      assertThat(report.outcomes()).isEqualTo(java.util.Map.of(Outcome.COMPLETE, 3));
      for (PeerProcess p : peers) {
        assertThat(p.awaitExit(WAIT)).isZero();
      }
    } finally {
      peers.forEach(PeerProcess::close);
      tcp.disposeNow(Duration.ofSeconds(5));
    }
  }

  /**
   * @return the next connection, once it carried data to {@code peer}, which was then killed, and
   *     its channel closed and its pipeline emptied (the SslHandler gone)
   */
  NettyTlsConnection closedByKilledPeer(PeerProcess peer) throws Exception {
    NettyTlsConnection c = next();
    java.util.concurrent.CountDownLatch emptied = new java.util.concurrent.CountDownLatch(1);
    // a closed channel's pipeline lets its handlers go from the tail to the head: this one last
    c.channel()
        .pipeline()
        .addFirst(
            "test.emptied",
            new io.netty.channel.ChannelHandlerAdapter() {
              @Override
              public void handlerRemoved(io.netty.channel.ChannelHandlerContext ctx) {
                emptied.countDown();
              }
            });
    write(c, "drained\n");
    peer.awaitLine("drained", WAIT);
    peer.kill();
    assertThat(emptied.await(WAIT.toSeconds(), TimeUnit.SECONDS)).as("pipeline emptied").isTrue();
    return c;
  }

  // T1: SENT is set when sending is attempted, even when the write fails: the peer killed, the
  // channel closed and its pipeline emptied, a fast shutdown sets SENT and fails with TRANSPORT,
  // without Netty logging the "masked exception" its SslHandler raises when asked to close after
  // it left the pipeline
  @Tag("T1")
  @org.junit.jupiter.api.Test
  void sentIsSetEvenWhenTheWriteFailsAndNettyLogsNoWarning() throws Exception {
    java.util.List<java.util.logging.LogRecord> warned =
        new java.util.concurrent.CopyOnWriteArrayList<>();
    LogWatch watch =
        LogWatch.of(
            io.netty.handler.ssl.SslHandler.class,
            r -> {
              if (r.getLevel().intValue() >= java.util.logging.Level.WARNING.intValue()) {
                warned.add(r);
              }
            });
    try (PeerProcess peer = client("1.3")) {
      NettyTlsConnection c = closedByKilledPeer(peer);
      assertThat(c.channel().pipeline().get(io.netty.handler.ssl.SslHandler.class)).isNull();
      assertThat(reason(c.shutdown(ShutdownSpec.bidirectional().fast())))
          .isEqualTo(ShutdownException.Reason.TRANSPORT);
      assertThat(c.shutdownState()).isEqualTo(ShutdownState.SENT);
      assertThat(warned).extracting(java.util.logging.LogRecord::getMessage).isEmpty();
    } finally {
      watch.close();
    }
  }

  // R2: a cancelled bidirectional shutdown keeps the state truthful (SENT) and a later one
  // continues from it to COMPLETE without a second close_notify.
  @Tag("T12")
  @Tag("R2")
  @org.junit.jupiter.api.Test
  void cancelKeepsStateAndALaterShutdownContinues() throws Exception {
    try (PeerProcess peer =
        PeerProcess.start(
            "s_client", "-connect", "127.0.0.1:" + server.port(), "-tls1_3", "-ign_eof")) {
      NettyTlsConnection c = next();
      var first = c.shutdown(ShutdownSpec.bidirectional().timeout(WAIT)).subscribe();
      Mono.fromCallable(c::shutdownState)
          .filter(ShutdownState::sent)
          .repeatWhenEmpty(r -> r.delayElements(Duration.ofMillis(5)))
          .block(WAIT);
      first.dispose();
      assertThat(c.shutdownState().sent()).isTrue();
      peer.closeStdin(); // s_client now answers our close_notify with its own
      ShutdownResult r = c.shutdown(ShutdownSpec.bidirectional().timeout(WAIT)).block(WAIT);
      assertThat(r.outcome()).isEqualTo(Outcome.COMPLETE);
      assertThat(r.state()).isEqualTo(ShutdownState.SENT_AND_RECEIVED);
    }
  }
}
