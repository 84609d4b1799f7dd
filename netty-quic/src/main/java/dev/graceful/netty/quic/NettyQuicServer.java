package dev.graceful.netty.quic;

import dev.graceful.core.GracefulShutdown;
import dev.graceful.core.ServerShutdown;
import dev.graceful.core.ShutdownReport;
import dev.graceful.core.spi.InFlight;
import dev.graceful.core.spi.SharedShutdown;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.handler.codec.quic.QuicStreamType;
import io.netty.util.AttributeKey;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * Graceful shutdown of a Netty QUIC server (G1–G6, G10), as {@code QuicServer} does for Kwik. Give
 * its two handlers to Netty's {@code QuicServerCodecBuilder} ({@code
 * .handler(server.connectionHandler())}, {@code .streamHandler(server.streamHandler())}), then
 * {@link #bind} the UDP channel the codec runs on: every connection the codec accepts is wrapped as
 * a {@link NettyQuicConnection} and handed out by {@link #connections()}, with the streams its peer
 * opens.
 *
 * <pre>{@code
 * NettyQuicServer server = NettyQuicServer.create();
 * ChannelHandler codec = new QuicServerCodecBuilder()
 *     .sslContext(ssl)
 *     .handler(server.connectionHandler())
 *     .streamHandler(server.streamHandler())
 *     ...
 *     .build();
 * server.bind(new Bootstrap().group(group).channel(NioDatagramChannel.class).handler(codec)
 *     .bind(port).sync().channel());
 * server.shutdown(ServerShutdown.of(ShutdownSpec.bidirectional())).block();
 * }</pre>
 *
 * <p>What is in flight (G2), as for {@code QuicServer}: a request stream, that is a bidirectional
 * stream the peer opened (one request per stream, as in HTTP/3), from its arrival until the
 * server's side of it is over (concluded with FIN by {@link NettyQuicStream#conclude()}, reset by
 * {@link NettyQuicStream#reset(long)}, or its stream channel closed); and any unit of work the
 * application marks with {@link #track}. Unidirectional peer streams are not exchanges (HTTP/3
 * keeps its control streams open for the connection's life), nor are streams the server opens. A
 * connection that ends is no longer in flight, whatever its streams. A {@link #shutdown} waits for
 * in-flight connections within its grace period; idle ones are shut down at once.
 */
public final class NettyQuicServer implements GracefulShutdown {
  /** Reason sent to connections arriving after {@link #stopAccepting()}. */
  public static final String REFUSED_REASON = "server is shutting down";

  /** RFC 9000 §20.1: CONNECTION_REFUSED. */
  private static final int CONNECTION_REFUSED = 0x2;

  /** One accepted connection and the streams its peer opens. */
  public record Accepted(NettyQuicConnection connection, Flux<NettyQuicStream> peerStreams) {
    /** Checks that both are present. */
    public Accepted {
      Objects.requireNonNull(connection, "connection");
      Objects.requireNonNull(peerStreams, "peerStreams");
    }
  }

  private static final AttributeKey<Sinks.Many<NettyQuicStream>> STREAMS =
      AttributeKey.valueOf(NettyQuicServer.class, "streams");
  private static final AttributeKey<NettyQuicConnection> CONNECTION =
      AttributeKey.valueOf(NettyQuicServer.class, "connection");
  private static final AttributeKey<InFlight> IN_FLIGHT =
      AttributeKey.valueOf(NettyQuicServer.class, "inFlight");

  private final Map<NettyQuicConnection, InFlight> open = new ConcurrentHashMap<>();
  private final Sinks.Many<Accepted> accepted = Sinks.many().unicast().onBackpressureBuffer();
  private final SharedShutdown shutdown = new SharedShutdown(this::run);
  private final AtomicLong count = new AtomicLong();
  private final AtomicReference<@Nullable Channel> udp = new AtomicReference<>();
  private volatile boolean refusing;

  private NettyQuicServer() {}

  /**
   * @return a server whose handlers are not installed yet
   */
  public static NettyQuicServer create() {
    return new NettyQuicServer();
  }

  /**
   * @return the handler for {@code QuicServerCodecBuilder.handler(..)}: wraps each connection once
   *     its handshake completed, or refuses it after {@link #stopAccepting()}
   */
  public ChannelHandler connectionHandler() {
    return new Connections();
  }

  /**
   * @return the handler for {@code QuicServerCodecBuilder.streamHandler(..)}: adopts each stream a
   *     peer opens into its connection, so a shutdown drains what the server writes on it
   */
  public ChannelHandler streamHandler() {
    return new ChannelInitializer<QuicStreamChannel>() {
      @Override
      protected void initChannel(QuicStreamChannel ch) {
        NettyQuicConnection c = ch.parent().attr(CONNECTION).get();
        Sinks.Many<NettyQuicStream> s = ch.parent().attr(STREAMS).get();
        InFlight inFlight = ch.parent().attr(IN_FLIGHT).get();
        if (c == null || s == null || inFlight == null) {
          ch.close(); // a stream of a refused connection
          return;
        }
        NettyQuicStream stream = c.adopt(ch);
        if (ch.type() == QuicStreamType.BIDIRECTIONAL) {
          // a request: in flight from its arrival until the server's side of it is over
          inFlight.begin();
          stream.outputEnded().subscribe(null, e -> inFlight.end(), inFlight::end);
        }
        s.tryEmitNext(stream);
      }
    };
  }

  @ChannelHandler.Sharable
  private final class Connections extends ChannelInboundHandlerAdapter {
    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
      QuicChannel ch = (QuicChannel) ctx.channel();
      if (refusing) {
        ch.close(
            false,
            CONNECTION_REFUSED,
            Unpooled.wrappedBuffer(REFUSED_REASON.getBytes(StandardCharsets.UTF_8)));
        return;
      }
      NettyQuicConnection c =
          NettyQuicConnection.of(ch, "netty-quic-server#" + count.incrementAndGet());
      Sinks.Many<NettyQuicStream> streams = Sinks.many().unicast().onBackpressureBuffer();
      ch.attr(CONNECTION).set(c);
      ch.attr(STREAMS).set(streams);
      InFlight inFlight = new InFlight();
      ch.attr(IN_FLIGHT).set(inFlight);
      open.put(c, inFlight);
      c.ended()
          .subscribe(
              null,
              null,
              () -> {
                open.remove(c);
                streams.tryEmitComplete();
              });
      synchronized (accepted) {
        accepted.tryEmitNext(new Accepted(c, streams.asFlux()));
      }
      super.channelActive(ctx);
    }
  }

  /**
   * @param datagramChannel the UDP channel Netty's server codec runs on; closed when a shutdown
   *     ends
   * @return this server; graceful's close path starts linking now, in the background, before the
   *     first connection ({@link NettyQuicConnection#warmUp()})
   */
  public NettyQuicServer bind(Channel datagramChannel) {
    udp.set(Objects.requireNonNull(datagramChannel, "datagramChannel"));
    CloseWarmUp.start();
    return this;
  }

  /**
   * @return every accepted connection, in order; completes when the server stops accepting
   */
  public Flux<Accepted> connections() {
    return accepted.asFlux();
  }

  /**
   * @return the connections open now
   */
  public List<NettyQuicConnection> openConnections() {
    return List.copyOf(open.keySet());
  }

  /**
   * G2: counts {@code exchange}, a unit of work the application marks on {@code connection}, as in
   * flight from subscription until it terminates or is cancelled (besides the request streams
   * counted on their own); a {@link #shutdown} lets it finish within its grace period. On a
   * connection this server does not hold (or that ended), {@code exchange} runs uncounted.
   *
   * @param connection one of this server's connections
   * @param exchange the work
   * @return {@code exchange}, counted
   */
  public Mono<Void> track(NettyQuicConnection connection, Mono<Void> exchange) {
    Objects.requireNonNull(connection, "connection");
    Objects.requireNonNull(exchange, "exchange");
    return Mono.defer(
        () -> {
          InFlight f = open.get(connection);
          return f == null ? exchange : f.count(exchange);
        });
  }

  /**
   * G1: from now on new connections are closed at once (transport error CONNECTION_REFUSED, 0x2,
   * with {@link #REFUSED_REASON}); open ones are untouched.
   *
   * @return completes when the server refuses
   */
  public Mono<Void> stopAccepting() {
    return Mono.fromRunnable(
        () -> {
          refusing = true;
          synchronized (accepted) {
            accepted.tryEmitComplete();
          }
        });
  }

  /**
   * G1–G6, G10 for QUIC on Netty: stops accepting, lets in-flight requests and tracked work finish
   * within the grace period (G2; see the class description), shuts every open connection down by
   * {@code how} concurrently (typically {@code ShutdownSpec.bidirectional()}: drain, then an RFC
   * close), forces the stragglers at the deadline, then closes the UDP channel given to {@link
   * #bind}. Once: see {@link GracefulShutdown}.
   *
   * @param how the server shutdown
   * @return the report, once every connection ended and the channel is closed
   */
  @Override
  public Mono<ShutdownReport> shutdown(ServerShutdown how) {
    return shutdown.shutdown(how);
  }

  @Override
  public boolean isShuttingDown() {
    return shutdown.started();
  }

  private Mono<ShutdownReport> run(ServerShutdown how) {
    return how.run(
            stopAccepting(),
            () -> {
              List<ServerShutdown.Member> members = new ArrayList<>();
              // a connection that ends is idle, whatever its streams
              open.forEach(
                  (c, inFlight) ->
                      members.add(
                          ServerShutdown.Member.of(
                              c, Mono.firstWithSignal(inFlight.idle(), c.ended()))));
              return members;
            })
        .flatMap(report -> closeChannel().thenReturn(report));
  }

  private Mono<Void> closeChannel() {
    Channel ch = udp.get();
    if (ch == null) {
      return Mono.empty();
    }
    return Mono.create(sink -> ch.close().addListener(f -> sink.success()));
  }
}
