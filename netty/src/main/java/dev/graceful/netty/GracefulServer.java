package dev.graceful.netty;

import dev.graceful.core.ServerShutdown;
import dev.graceful.core.ShutdownReport;
import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.core.ShutdownState;
import dev.graceful.core.Shutdownable;
import dev.graceful.core.TransportPolicy;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http2.DefaultHttp2GoAwayFrame;
import io.netty.handler.codec.http2.DefaultHttp2PingFrame;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2ConnectionAdapter;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2PingFrame;
import io.netty.handler.codec.http2.Http2Stream;
import io.netty.handler.ssl.SslHandler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiFunction;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;
import reactor.core.publisher.Sinks;
import reactor.netty.DisposableServer;
import reactor.netty.NettyPipeline;
import reactor.netty.channel.ChannelOperations;
import reactor.netty.http.HttpInfos;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;
import reactor.netty.http.websocket.WebsocketOutbound;
import reactor.netty.transport.ServerTransport;

/**
 * Graceful shutdown of a reactor-netty server (TCP or HTTP, over TLS): every accepted connection
 * is tracked with its in-flight exchanges, and {@link #shutdown(DisposableServer, ServerShutdown)}
 * stops accepting, lets exchanges finish within the grace period, shuts every connection down by
 * one policy on its own event loop, forces the stragglers at the deadline and reports.
 *
 * <pre>{@code
 * GracefulServer graceful = GracefulServer.create();
 * DisposableServer server =
 *     graceful.install(HttpServer.create().secure(spec -> spec.sslContext(ctx)))
 *         .handle(graceful.http((req, res) -> res.sendString(Mono.just("hello"))))
 *         .bindNow();
 * ...
 * ShutdownReport report =
 *     graceful.shutdown(server, ServerShutdown.of(ShutdownSpec.bidirectional())
 *         .grace(Duration.ofSeconds(5)).deadline(Duration.ofSeconds(10))).block();
 * }</pre>
 *
 * A close_notify a client sends first (TLS 1.3 half-close) no longer closes the connection at
 * once: the response to the request in flight still goes out, then graceful answers and closes.
 *
 * <p>HTTP/1.1 responses whose head goes out once the shutdown started say {@code Connection:
 * close}, so that a keep-alive client sends no further request on a connection about to close.
 * HTTP/2 connections get a GOAWAY when the shutdown starts, count the exchanges of all their
 * streams, and are idle only once every stream has ended (its last frames written, not only
 * queued behind the client's flow control). WebSockets get a close frame (1001) when the shutdown
 * starts and are idle once the client answers it; reactor-netty's own close after that frame is
 * held until graceful's close_notify exchange has run.
 */
public final class GracefulServer {
  private final Map<Channel, Tracked> open = new ConcurrentHashMap<>();

  private GracefulServer() {}

  /** @return a tracker for one server */
  public static GracefulServer create() {
    return new GracefulServer();
  }

  /** One connection and its exchanges in flight. */
  private static final class Tracked {
    final NettyTlsConnection connection;
    private int active;
    private final List<MonoSink<Void>> waiting = new ArrayList<>(1);
    /**
     * What the shutdown's announcement waits for: a WebSocket's close frame answered, HTTP/2's
     * final GOAWAY sent. Nothing for plain HTTP/1.1 and TCP.
     */
    private volatile Mono<Void> announced = Mono.empty();
    private final Sinks.Empty<Void> settled = Sinks.empty();
    private boolean wentAway;

    Tracked(NettyTlsConnection connection) {
      this.connection = connection;
    }

    synchronized void begin() {
      active++;
    }

    void end() {
      List<MonoSink<Void>> done;
      synchronized (this) {
        if (active == 0 || --active > 0) {
          return;
        }
        done = List.copyOf(waiting);
        waiting.clear();
      }
      done.forEach(MonoSink::success);
    }

    /**
     * @return completes when no exchange is in flight, what the shutdown announced has settled,
     *     and, over HTTP/2, every stream has ended: a response's last frames can still wait behind
     *     the client's flow-control window after its handler completed, and a close_notify before
     *     them would cut the response
     */
    Mono<Void> idle() {
      return exchangesDone().then(Mono.defer(() -> announced)).then(streamsClosed(connection.channel()));
    }

    /**
     * RFC 6455 §7.1.2 for a server going away: sends a close frame (1001) through reactor-netty's
     * WebSocket, which then closes the channel at once; that close is held until graceful's own,
     * after the client's close frame and the close_notify exchange. {@link #idle()} completes when
     * the client's close frame arrives, or its close_notify, or the channel closes.
     */
    void goingAway() {
      // a client may answer with its close_notify alone, without a close frame
      announce(
          Mono.firstWithSignal(settled.asMono(), connection.peerCloseNotify()),
          () -> {
            connection.holdCloses();
            closeOnceUpgraded(0);
          });
    }

    /**
     * Event loop: sends the close frame once reactor-netty's side of the channel is a WebSocket. An
     * upgrade can still be under way when the shutdown starts (its 101 even at the client already):
     * then it looks again every {@link #UPGRADE_LOOK} for at most {@link #UPGRADE_LOOKS} times,
     * after which the connection is shut down without a close frame.
     */
    private void closeOnceUpgraded(int looks) {
      Channel channel = connection.channel();
      if (!channel.isActive()) {
        return;
      }
      if (!(ChannelOperations.get(channel) instanceof WebsocketOutbound ws)) {
        if (looks >= UPGRADE_LOOKS) {
          settled.tryEmitEmpty();
        } else {
          channel.eventLoop().schedule(() -> closeOnceUpgraded(looks + 1), UPGRADE_LOOK.toMillis(), TimeUnit.MILLISECONDS);
        }
        return;
      }
      ChannelPipeline p = channel.pipeline();
      CloseFrameWatch watch = new CloseFrameWatch(settled);
      if (p.get(NettyPipeline.ReactiveBridge) != null) {
        p.addBefore(NettyPipeline.ReactiveBridge, CloseFrameWatch.NAME, watch);
      } else {
        p.addLast(CloseFrameWatch.NAME, watch);
      }
      ws.sendClose(WebSocketCloseStatus.ENDPOINT_UNAVAILABLE.code(), GOING_AWAY).subscribe(null, e -> { });
    }

    /**
     * RFC 9113 §6.8, a graceful HTTP/2 shutdown: a first GOAWAY with the largest stream id (the
     * client stops opening streams; those already on their way are still taken), a PING, and once
     * its answer proves a round trip, the final GOAWAY naming the last stream the server took.
     * {@link #idle()} waits for the final one, so the client learns which of its streams were
     * processed before the close_notify.
     */
    void goAway(Http2FrameCodec codec) {
      announce(
          settled.asMono(),
          () -> {
            Channel channel = connection.channel();
            if (!channel.isActive()) {
              return;
            }
            channel.pipeline().addAfter(channel.pipeline().context(codec).name(), PingAnswerWatch.NAME, new PingAnswerWatch(settled));
            channel.write(new DefaultHttp2GoAwayFrame(Http2Error.NO_ERROR).setExtraStreamIds(Integer.MAX_VALUE)).addListener(f -> { });
            channel.writeAndFlush(new DefaultHttp2PingFrame(PingAnswerWatch.PAYLOAD)).addListener(f -> { });
          });
    }

    /**
     * The first announcement only (a second server shutdown announces nothing): {@link #idle()}
     * will wait for {@code settledWhen}, which the channel's close settles too; {@code onLoop}
     * runs on the connection's event loop.
     */
    private void announce(Mono<Void> settledWhen, Runnable onLoop) {
      synchronized (this) {
        if (wentAway) {
          return;
        }
        wentAway = true;
      }
      announced = settledWhen;
      Channel channel = connection.channel();
      channel
          .eventLoop()
          .execute(
              () -> {
                channel.closeFuture().addListener(f -> settled.tryEmitEmpty());
                onLoop.run();
              });
    }

    private Mono<Void> exchangesDone() {
      return Mono.create(
          sink -> {
            synchronized (this) {
              if (active > 0) {
                waiting.add(sink);
                return;
              }
            }
            sink.success();
          });
    }
  }

  /**
   * How long a connection's ending waits for its channel to close: longer than Netty's {@code
   * SslHandler} takes at most (its close_notify flush timeout, 3 s by default).
   */
  static final Duration CHANNEL_CLOSE_WAIT = Duration.ofSeconds(5);

  /** How often, and how many times, a WebSocket upgrade under way is looked at again. */
  static final Duration UPGRADE_LOOK = Duration.ofMillis(5);

  static final int UPGRADE_LOOKS = 200;

  /** The reason in the close frame a WebSocket gets when the server shuts down. */
  static final String GOING_AWAY = "server shutting down";

  /**
   * Sees the answer to graceful's HTTP/2 PING go by and sends the final GOAWAY (the last stream the
   * server took); other frames pass.
   */
  private static final class PingAnswerWatch extends ChannelInboundHandlerAdapter {
    static final String NAME = "graceful.h2Ping";
    /** "graceful" in ASCII: the PING's 8 bytes. */
    static final long PAYLOAD = 0x67726163_6566756CL;
    private final Sinks.Empty<Void> settled;

    PingAnswerWatch(Sinks.Empty<Void> settled) {
      this.settled = settled;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof Http2PingFrame ping && ping.ack() && ping.content() == PAYLOAD) {
        ctx.pipeline().remove(this);
        ctx.writeAndFlush(new DefaultHttp2GoAwayFrame(Http2Error.NO_ERROR))
            .addListener(f -> settled.tryEmitEmpty());
        return;
      }
      ctx.fireChannelRead(msg);
    }
  }

  /** Sees the client's close frame go by (and passes it on to reactor-netty). */
  private static final class CloseFrameWatch extends ChannelInboundHandlerAdapter {
    static final String NAME = "graceful.wsClose";
    private final Sinks.Empty<Void> answered;

    CloseFrameWatch(Sinks.Empty<Void> answered) {
      this.answered = answered;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof CloseWebSocketFrame) {
        answered.tryEmitEmpty();
      }
      ctx.fireChannelRead(msg);
    }
  }

  /** HTTP/2: completes once the connection has no active stream (or is closed); at once otherwise. */
  private static Mono<Void> streamsClosed(Channel channel) {
    Http2FrameCodec codec = channel.pipeline().get(Http2FrameCodec.class);
    if (codec == null) {
      return Mono.empty();
    }
    return Mono.create(
        sink ->
            channel
                .eventLoop()
                .execute(
                    () -> {
                      Http2Connection h2 = codec.connection();
                      if (h2.numActiveStreams() == 0 || !channel.isActive()) {
                        sink.success();
                        return;
                      }
                      Http2Connection.Listener last =
                          new Http2ConnectionAdapter() {
                            @Override
                            public void onStreamClosed(Http2Stream stream) {
                              if (h2.numActiveStreams() == 0) {
                                sink.success();
                              }
                            }
                          };
                      h2.addListener(last);
                      // removed in a task of its own: never while the connection walks its listeners
                      sink.onDispose(() -> channel.eventLoop().execute(() -> h2.removeListener(last)));
                      channel.closeFuture().addListener(f -> sink.success());
                    }));
  }

  /**
   * Tracks every connection {@code server} accepts (those with a TLS handler).
   *
   * @param server a reactor-netty TCP or HTTP server, configured with {@code secure(...)}
   * @param <T> the server type
   * @return the server, tracked
   */
  public <T extends ServerTransport<T, ?>> T install(T server) {
    return Objects.requireNonNull(server, "server").doOnChannelInit((observer, channel, remote) -> track(channel));
  }

  private Tracked track(Channel channel) {
    Tracked t = open.get(channel);
    if (t != null || channel.pipeline().get(SslHandler.class) == null) {
      return t;
    }
    Tracked fresh = new Tracked(NettyTlsConnection.of(channel));
    fresh.connection.answerWhen(fresh::idle);
    t = open.putIfAbsent(channel, fresh);
    if (t != null) {
      return t;
    }
    channel.closeFuture().addListener(f -> open.remove(channel));
    return fresh;
  }

  /**
   * Wraps an HTTP handler so that its exchanges count as in flight until its publisher ends.
   *
   * @param handler the application's handler
   * @return the tracked handler
   */
  public BiFunction<HttpServerRequest, HttpServerResponse, Publisher<Void>> http(
      BiFunction<? super HttpServerRequest, ? super HttpServerResponse, ? extends Publisher<Void>> handler) {
    Objects.requireNonNull(handler, "handler");
    return (req, res) -> {
      Channel[] ch = new Channel[1];
      req.withConnection(c -> ch[0] = c.channel());
      // HTTP/2: the exchange runs on a stream channel; the connection (with its SslHandler) is its
      // parent, and counts every stream's exchange
      Channel conn = ch[0] != null && ch[0].parent() != null && ch[0].pipeline().get(SslHandler.class) == null ? ch[0].parent() : ch[0];
      Tracked t = conn == null ? null : track(conn);
      if (t == null) {
        return handler.apply(req, res);
      }
      t.begin();
      return Flux.from(handler.apply(req, res)).doFinally(s -> t.end());
    };
  }

  /** @return the tracked connections still open */
  public Collection<NettyTlsConnection> openConnections() {
    return open.values().stream().map(t -> t.connection).toList();
  }

  /**
   * G1–G5: stops {@code server} accepting (its listening channel closes; the event loops and open
   * connections stay), then shuts every open connection down by {@code how}, closing each channel
   * once its shutdown ended. The report comes once every channel it counts is closed, so {@link
   * #openConnections()} no longer lists them. Never blocks: usable from Spring's graceful-shutdown
   * phase.
   *
   * @param server the bound server
   * @param how the server shutdown
   * @return the report
   */
  public Mono<ShutdownReport> shutdown(DisposableServer server, ServerShutdown how) {
    Objects.requireNonNull(server, "server");
    Objects.requireNonNull(how, "how");
    Mono<Void> stopAccepting = Mono.create(sink -> server.channel().close().addListener(f -> sink.success()));
    return stopAccepting.then(
        Mono.defer(
            () -> {
              // counted before anything is announced: a connection that the announcement ends (a
              // WebSocket answering its close frame at once) is still in the report
              List<Tracked> counted = List.copyOf(open.values());
              announce(counted);
              List<ServerShutdown.Member> members = new ArrayList<>();
              for (Tracked t : counted) {
                members.add(ServerShutdown.Member.of(closing(t.connection), t.idle()));
              }
              return how.run(Mono.empty(), members);
            }));
  }

  /**
   * G1, G2 for what runs on a connection beyond single exchanges. An HTTP/2 connection gets
   * RFC 9113's two GOAWAYs (NO_ERROR; the final one names the last stream the server took), so that
   * its client opens no new stream while the streams in flight finish. A WebSocket gets a close frame (1001, going away),
   * and the connection is idle once the client's close frame came back. An HTTP/1.1 connection's
   * responses from then on say {@code Connection: close}. The close_notify follows each of these
   * through the flush barrier. Not awaited: a client that does not read must not hold the
   * whole shutdown's start.
   */
  private static void announce(List<Tracked> connections) {
    for (Tracked t : connections) {
      Channel channel = t.connection.channel();
      if (!channel.isActive()) {
        continue;
      }
      Http2FrameCodec codec = channel.pipeline().get(Http2FrameCodec.class);
      ChannelOperations<?, ?> ops = ChannelOperations.get(channel);
      if (codec != null) {
        t.goAway(codec);
      } else if (ops instanceof WebsocketOutbound || (ops instanceof HttpInfos request && request.isWebsocket())) {
        t.goingAway(); // a WebSocket, or an upgrade to one under way
      } else {
        closeAfterResponses(channel); // HTTP/1.1 (nothing for TCP)
      }
    }
  }

  /**
   * G2 over HTTP/1.1: from now on every final response head on {@code channel} says {@code
   * Connection: close} (RFC 9112 §9.6), the one in flight included when its head has not gone out
   * yet, so that the client sends no further request on a connection about to get its
   * close_notify. Event loop; nothing on a channel without reactor-netty's HTTP/1.1 codec.
   */
  private static void closeAfterResponses(Channel channel) {
    channel
        .eventLoop()
        .execute(
            () -> {
              ChannelPipeline p = channel.pipeline();
              if (channel.isActive() && p.get(NettyPipeline.HttpCodec) != null && p.get(ConnectionCloseHeader.NAME) == null) {
                p.addAfter(NettyPipeline.HttpCodec, ConnectionCloseHeader.NAME, new ConnectionCloseHeader());
              }
            });
  }

  /**
   * Right after the HTTP/1.1 codec (so the last to see a response before it is encoded, after
   * reactor-netty's own handlers, which keep the connection as the application made it): adds
   * {@code Connection: close} to a copy of each final response head. A copy, because the
   * application's thread may still read the response it wrote. Informational responses (an
   * upgrade's 101) pass untouched.
   */
  private static final class ConnectionCloseHeader extends ChannelOutboundHandlerAdapter {
    static final String NAME = "graceful.h1Close";

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
      ctx.write(msg instanceof HttpResponse r && r.status().code() >= 200 ? saysClose(r) : msg, promise);
    }

    private static Object saysClose(HttpResponse r) {
      if (r.headers().containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE, true)) {
        return r;
      }
      HttpResponse copy;
      if (r instanceof FullHttpResponse full) {
        copy = full.replace(full.content()); // the same content, headers copied
      } else if (!(r instanceof HttpContent)) {
        copy = new DefaultHttpResponse(r.protocolVersion(), r.status(), r.headers().copy());
      } else {
        return r; // a head with part of a body: no such response comes from reactor-netty
      }
      copy.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
      return copy;
    }
  }

  /**
   * The connection, with every shutdown closing its channel at the end and ending only once the
   * channel is closed: Netty closes a channel asynchronously (its {@code SslHandler} first flushes
   * what is queued), so without this wait the report could arrive while a channel is still open.
   */
  private static Shutdownable closing(NettyTlsConnection c) {
    Channel channel = c.channel();
    Mono<Void> closed = Mono.create(sink -> channel.closeFuture().addListener(f -> sink.success()));
    return new Shutdownable() {
      @Override
      public Mono<ShutdownResult> shutdown(ShutdownSpec spec) {
        // bounded, in case a handler of the application's swallows the close: then the report
        // comes anyway, and openConnections() truthfully still lists the channel
        Mono<Void> closedOrLate =
            closed.timeout(CHANNEL_CLOSE_WAIT, spec.scheduler()).onErrorResume(TimeoutException.class, e -> Mono.empty());
        return c.shutdown(spec.closeTransport(TransportPolicy.CLOSE))
            .flatMap(result -> closedOrLate.thenReturn(result))
            .onErrorResume(e -> closedOrLate.then(Mono.error(e)));
      }

      @Override
      public ShutdownState shutdownState() {
        return c.shutdownState();
      }

      @Override
      public String connectionId() {
        return c.connectionId();
      }
    };
  }
}
