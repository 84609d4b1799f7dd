package dev.graceful.benchmarks.faults;

import dev.graceful.benchmarks.faults.QuicFaults.Kind;
import dev.graceful.netty.quic.NettyQuicConnection;
import dev.graceful.netty.quic.NettyQuicStream;
import dev.graceful.testkit.DatagramFaultRelay;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicClientCodecBuilder;
import io.netty.handler.codec.quic.QuicSslContext;
import io.netty.handler.codec.quic.QuicSslContextBuilder;
import io.netty.handler.codec.quic.QuicStreamChannel;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * QUIC client rows of graceful's second stack: a {@link NettyQuicConnection} over Netty's QUIC
 * codec against the plain Kwik server of the Kwik client rows, through a {@link DatagramFaultRelay}
 * armed once the connection is up, under the same faults and judged the same way.
 */
final class NettyQuicFaults implements AutoCloseable {
  /**
   * graceful's Netty QUIC log, quiet but for errors: under these faults it warns of every close
   * that quiche could not send behind undrained data, which the result reports already (its
   * truncationRisk); held here so that the level stays set. Kwik's own logs are off likewise.
   */
  private static final java.util.logging.Logger LOG =
      java.util.logging.Logger.getLogger("dev.graceful.netty.quic");

  static {
    LOG.setLevel(java.util.logging.Level.SEVERE);
  }

  private final Campaign.Env env;
  private final QuicFaults quic;
  private EventLoopGroup group;
  private QuicSslContext ssl;

  /**
   * @param quic the Kwik client rows, whose server is the peer here too
   */
  NettyQuicFaults(Campaign.Env env, QuicFaults quic) {
    this.env = env;
    this.quic = quic;
  }

  List<Scenario> scenarios() {
    List<Scenario> rows = new ArrayList<>();
    for (Kind k : QuicFaults.KINDS) {
      rows.add(
          new Scenario(
              "QUIC",
              "client",
              "Netty, " + k.name(),
              "Kwik server",
              k.accepts(),
              3,
              0.6,
              seed -> trial(k, seed),
              "Netty"));
    }
    return rows;
  }

  /** One event loop for every Netty connection, and the client's TLS context. */
  private synchronized EventLoopGroup group() throws Exception {
    if (group == null) {
      javax.net.ssl.TrustManagerFactory trust =
          javax.net.ssl.TrustManagerFactory.getInstance(
              javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
      trust.init(quic.trusted());
      group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
      ssl =
          QuicSslContextBuilder.forClient()
              .trustManager(trust)
              .applicationProtocols(QuicFaults.ALPN)
              .build();
    }
    return group;
  }

  Verdict trial(Kind k, long seed) throws Exception {
    Random rnd = new Random(seed);
    int size = QuicFaults.size(rnd);
    boolean ackHook = rnd.nextBoolean();
    boolean conclude = rnd.nextBoolean();
    try (DatagramFaultRelay relay =
        new DatagramFaultRelay(new InetSocketAddress("127.0.0.1", quic.port()), seed)) {
      EventLoopGroup loop = group();
      Channel udp =
          new Bootstrap()
              .group(loop)
              .channel(NioDatagramChannel.class)
              .handler(
                  new QuicClientCodecBuilder()
                      // the server verified by name, as Kwik's clients verify it
                      .sslEngineProvider(
                          q -> ssl.newEngine(q.alloc(), "localhost", relay.address().getPort()))
                      .maxIdleTimeout(10, TimeUnit.SECONDS)
                      .initialMaxData(2_000_000)
                      .initialMaxStreamDataBidirectionalLocal(1_000_000)
                      .initialMaxStreamDataBidirectionalRemote(1_000_000)
                      .initialMaxStreamsBidirectional(10)
                      .build())
              .bind(new InetSocketAddress("127.0.0.1", 0))
              .sync()
              .channel();
      NettyQuicConnection c = null;
      try {
        QuicChannel channel =
            QuicChannel.newBootstrap(udp)
                .streamHandler(
                    new ChannelInitializer<QuicStreamChannel>() {
                      @Override
                      protected void initChannel(QuicStreamChannel ch) {
                        // the server opens no stream
                      }
                    })
                .remoteAddress(relay.address())
                .connect()
                .get(TlsPair.SETUP.toMillis(), TimeUnit.MILLISECONDS);
        c = NettyQuicConnection.of(channel, "fault-" + Long.toHexString(seed));
        Sinks.One<Boolean> ack = Sinks.one();
        NettyQuicStream stream =
            (ackHook ? c.openStream(firstByte(ack)) : c.openStream()).block(TlsPair.SETUP);
        if (ackHook) {
          // the Kwik server's application answers one byte once it read everything
          stream.acknowledgedBy(ack.asMono());
        }
        ByteBuffer data = ByteBuffer.allocate(16 + size);
        data.putLong(seed).putLong(size).rewind(); // the rest: size zero bytes
        QuicFaults.arm(relay, k);
        // concluded or not: quiche tells a stream's acknowledgement only once its FIN is sent, so
        // an
        // unconcluded stream without acknowledgedBy drains NOT_DRAINED
        Mono<Void> write = stream.write(data);
        (conclude ? write.then(stream.conclude()) : write).subscribe(null, err -> {});
        return QuicFaults.judge(
            QuicFaults.close(c, k, rnd), k, ackHook, size, () -> quic.awaitRead(seed, size));
      } finally {
        try {
          if (c != null) {
            QuicFaults.release(c);
          }
        } finally {
          udp.close().await(TlsPair.SETUP.toMillis());
        }
      }
    }
  }

  /** Signals {@code ack} when the first bytes from the peer arrive; passes everything on. */
  private static ChannelInboundHandlerAdapter firstByte(Sinks.One<Boolean> ack) {
    return new ChannelInboundHandlerAdapter() {
      @Override
      public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ack.tryEmitValue(true);
        ctx.fireChannelRead(msg);
      }
    };
  }

  @Override
  public void close() {
    if (group != null) {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(10_000);
    }
  }
}
