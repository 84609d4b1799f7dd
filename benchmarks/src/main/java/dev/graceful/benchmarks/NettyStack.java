package dev.graceful.benchmarks;

import static dev.graceful.benchmarks.QuicStack.check;

import dev.graceful.core.DrainStatus;
import dev.graceful.core.Outcome;
import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.netty.quic.NettyQuicConnection;
import dev.graceful.netty.quic.NettyQuicStream;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicClientCodecBuilder;
import io.netty.handler.codec.quic.QuicConnectionPathStats;
import io.netty.handler.codec.quic.QuicSslContext;
import io.netty.handler.codec.quic.QuicSslContextBuilder;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.handler.codec.quic.QuicStreamType;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * graceful's {@link NettyQuicConnection} on client connections of Netty's QUIC codec (quiche), one
 * UDP channel per connection, all on one event loop.
 */
final class NettyStack implements QuicStack {
  /** RFC 9000 §18.2's default max_ack_delay, as graceful's Netty engine takes it for its PTO. */
  private static final long MAX_ACK_DELAY_NANOS = TimeUnit.MILLISECONDS.toNanos(25);

  private final Config config;
  private final EventLoopGroup group;
  private final QuicSslContext ssl;
  private int ackStalls;

  NettyStack(Config config) {
    this.config = config;
    this.ssl =
        QuicSslContextBuilder.forClient()
            .trustManager(InsecureTrustManagerFactory.INSTANCE)
            .applicationProtocols("bench")
            .build();
    this.group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  }

  @Override
  public String name() {
    return "netty";
  }

  @Override
  public String description() {
    return "graceful NettyQuicConnection on a Netty QUIC codec (quiche) client connection";
  }

  @Override
  public String nativeClose() {
    return "Netty QuicChannel.close(true, 0, empty reason) to its future";
  }

  @Override
  public String ptoSource() {
    return "the estimate graceful's Netty engine arms its closing timer with: quiche's RTT from"
        + " collectPathStats(0), PTO = rtt + max(2 rtt, 1 ms) + 25 ms, read just before the close";
  }

  /** A client connection and the UDP channel under it. */
  record Conn(Channel udp, QuicChannel quic) {
    void release() {
      if (quic.isActive()) {
        quic.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
      }
      udp.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
  }

  /**
   * @param port the peer's port
   * @return a client connection, its handshake done
   * @throws Exception if it could not connect
   */
  Conn connect(int port) throws Exception {
    ChannelHandler codec =
        new QuicClientCodecBuilder()
            .sslContext(ssl)
            .maxIdleTimeout(30, TimeUnit.SECONDS)
            .initialMaxData(16_000_000)
            .initialMaxStreamDataBidirectionalLocal(4_000_000)
            .initialMaxStreamDataBidirectionalRemote(4_000_000)
            .initialMaxStreamDataUnidirectional(4_000_000)
            .initialMaxStreamsBidirectional(100)
            .initialMaxStreamsUnidirectional(100)
            .build();
    Channel udp =
        new Bootstrap()
            .group(group)
            .channel(NioDatagramChannel.class)
            .handler(codec)
            .bind(0)
            .sync()
            .channel();
    try {
      QuicChannel quic =
          QuicChannel.newBootstrap(udp)
              .handler(new ChannelInboundHandlerAdapter())
              .remoteAddress(new InetSocketAddress("127.0.0.1", port))
              .connect()
              .get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
      return new Conn(udp, quic);
    } catch (Exception e) {
      udp.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
      throw e;
    }
  }

  private Conn connect() throws Exception {
    return connect(config.port());
  }

  @Override
  public Timed rapidOnce() throws Exception {
    Conn conn = connect();
    try {
      NettyQuicConnection c = NettyQuicConnection.of(conn.quic(), "rapid");
      QuicStack.settle(config.settleMs());
      long gc = QuicStack.collections();
      long t0 = System.nanoTime();
      ShutdownResult r =
          c.shutdown(ShutdownSpec.bidirectional().rapid().noStreamFlush()).block(WAIT);
      long t1 = System.nanoTime();
      boolean collected = QuicStack.collections() != gc;
      check(r != null && r.outcome() == Outcome.SENT, "rapid gave " + r);
      return new Timed((t1 - t0) / 1e6, collected);
    } finally {
      conn.release();
    }
  }

  @Override
  public Timed nativeCloseOnce() throws Exception {
    Conn conn = connect();
    try {
      QuicStack.settle(config.settleMs());
      long gc = QuicStack.collections();
      long t0 = System.nanoTime();
      closeNatively(conn.quic());
      long t1 = System.nanoTime();
      return new Timed((t1 - t0) / 1e6, QuicStack.collections() != gc);
    } finally {
      conn.release();
    }
  }

  static void closeNatively(QuicChannel quic) {
    io.netty.channel.ChannelFuture f = quic.close(true, 0, Unpooled.EMPTY_BUFFER);
    check(f.awaitUninterruptibly(WAIT.toMillis()), "Netty's close did not complete");
    check(f.isSuccess(), "Netty's close failed: " + f.cause());
  }

  @Override
  public double[] rfcOnce() throws Exception {
    Conn conn = connect();
    try {
      return rfc(conn.quic());
    } finally {
      conn.release();
    }
  }

  private static double[] rfc(QuicChannel quic) throws Exception {
    NettyQuicConnection c = NettyQuicConnection.of(quic, "rfc");
    double pto = ptoMs(quic);
    long t0 = System.nanoTime();
    ShutdownResult r = c.shutdown(ShutdownSpec.bidirectional().rfc().noStreamFlush()).block(WAIT);
    long t1 = System.nanoTime();
    check(r != null && r.outcome() == Outcome.COMPLETE, "rfc gave " + r);
    return new double[] {(t1 - t0) / 1e6, 3.0 * pto};
  }

  /**
   * The PTO graceful's Netty engine takes for its closing period (RFC 9002 §6.2.1 with quiche's RTT
   * as the smoothed RTT and half of it as its variance, and the default max_ack_delay). The engine
   * reads it on the loop as it sends the CONNECTION_CLOSE; this reads the same statistics just
   * before the shutdown is subscribed.
   *
   * @return in ms; NaN if quiche's statistics could not be read
   */
  static double ptoMs(QuicChannel quic) throws Exception {
    QuicConnectionPathStats s =
        quic.collectPathStats(0).get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    if (s == null) {
      return Double.NaN;
    }
    long rtt = s.rtt();
    long nanos = rtt + Math.max(2 * rtt, TimeUnit.MILLISECONDS.toNanos(1)) + MAX_ACK_DELAY_NANOS;
    return nanos / 1e6;
  }

  @Override
  public double[] rfcIntoSilence() throws Exception {
    try (dev.graceful.testkit.LossyRelay relay =
        new dev.graceful.testkit.LossyRelay(
            new InetSocketAddress("127.0.0.1", config.port()), (up, d) -> false)) {
      Conn conn = connect(relay.address().getPort());
      try {
        relay.drop((up, d) -> true);
        return rfc(conn.quic());
      } finally {
        conn.release();
      }
    }
  }

  /** Emits the first byte the peer sends on the stream, and passes everything on. */
  private static ChannelHandler firstByte(Sinks.One<Integer> sink, boolean release) {
    return new ChannelInboundHandlerAdapter() {
      @Override
      public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ByteBuf b && b.isReadable()) {
          sink.tryEmitValue((int) b.getUnsignedByte(b.readerIndex()));
        }
        if (release) {
          ReferenceCountUtil.release(msg);
        } else {
          ctx.fireChannelRead(msg);
        }
      }

      @Override
      public boolean isSharable() {
        return true;
      }
    };
  }

  @Override
  public double drainOnce(boolean hook) throws Exception {
    Conn conn = connect();
    try {
      NettyQuicConnection c = NettyQuicConnection.of(conn.quic(), "drain");
      Sinks.One<Integer> ack = Sinks.one();
      NettyQuicStream s = c.openStream(firstByte(ack, false)).block(WAIT);
      if (hook) {
        s.acknowledgedBy(ack.asMono());
      }
      long t0 = System.nanoTime();
      long[] written = new long[1];
      Throwable[] failed = new Throwable[1];
      s.write(ByteBuffer.allocate(config.size()))
          .subscribe(null, e -> failed[0] = e, () -> written[0] = System.nanoTime());
      if (!hook) {
        // Netty's codec proves delivery only for a concluded stream that quiche released; the
        // FIN follows the write once quiche has taken its bytes
        s.conclude().subscribe(null, e -> failed[0] = e);
      }
      ShutdownResult r = c.shutdown(ShutdownSpec.bidirectional().rapid().timeout(WAIT)).block(WAIT);
      long t1 = System.nanoTime();
      check(r != null && r.drained() == DrainStatus.DRAINED, "drain gave " + r);
      check(failed[0] == null, "the drained write failed: " + failed[0]);
      if (config.verbose()) {
        System.out.printf(
            "  netty drain%s: %s, closed after %.1f ms, the peer's answer %s%n",
            hook ? " (acknowledgedBy)" : " (concluded)",
            written[0] != 0
                ? String.format(
                    java.util.Locale.ROOT, "write returned after %.1f ms", (written[0] - t0) / 1e6)
                : failed[0] != null ? "write failed (" + failed[0] + ")" : "write not returned",
            (t1 - t0) / 1e6,
            ack.scan(reactor.core.Scannable.Attr.TERMINATED) == Boolean.TRUE
                ? "had arrived"
                : "had not arrived");
      }
      return (t1 - t0) / 1e6;
    } finally {
      conn.release();
    }
  }

  @Override
  public double ackOnce() throws Exception {
    Conn conn = connect();
    try {
      Sinks.One<Integer> ack = Sinks.one();
      QuicStreamChannel stream =
          conn.quic()
              .createStream(QuicStreamType.BIDIRECTIONAL, firstByte(ack, true))
              .get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
      ByteBuf data = Unpooled.wrappedBuffer(new byte[config.size()]);
      long t0 = System.nanoTime();
      // The application's own write on Netty's stream, which graceful does not watch
      stream.writeAndFlush(data);
      Integer b =
          ack.asMono()
              .timeout(ACK_DEADLINE)
              .onErrorResume(java.util.concurrent.TimeoutException.class, e -> Mono.empty())
              .block(WAIT);
      long t1 = System.nanoTime();
      if (b == null) {
        ackStalls++;
        return Double.NaN;
      }
      check(b == 1, "bad acknowledgement " + b);
      return (t1 - t0) / 1e6;
    } finally {
      conn.release();
    }
  }

  @Override
  public int ackStalls() {
    return ackStalls;
  }

  @Override
  public Opened open(boolean rapid) throws Exception {
    Conn conn = connect();
    NettyQuicConnection c = rapid ? NettyQuicConnection.of(conn.quic(), "cpu") : null;
    return new Opened() {
      @Override
      public void close() {
        if (c != null) {
          ShutdownResult r =
              c.shutdown(ShutdownSpec.bidirectional().rapid().noStreamFlush()).block(WAIT);
          check(r != null && r.outcome() == Outcome.SENT, "rapid gave " + r);
        } else {
          closeNatively(conn.quic());
        }
      }

      @Override
      public void release() {
        conn.release();
      }
    };
  }

  @Override
  public void close() {
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
  }
}
