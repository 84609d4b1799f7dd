package dev.graceful.netty;

import dev.graceful.core.ServerShutdown;
import dev.graceful.core.ShutdownReport;
import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.core.ShutdownState;
import dev.graceful.core.Shutdownable;
import dev.graceful.core.TransportPolicy;
import io.netty.channel.Channel;
import io.netty.handler.codec.http2.DefaultHttp2GoAwayFrame;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2ConnectionAdapter;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2Stream;
import io.netty.handler.ssl.SslHandler;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiFunction;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;
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
 * <p>HTTP/2 connections get a GOAWAY when the shutdown starts, count the exchanges of all their
 * streams, and are idle only once every stream has ended (its last frames written, not only
 * queued behind the client's flow control).
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
     * @return completes when no exchange is in flight and, over HTTP/2, every stream has ended: a
     *     response's last frames can still wait behind the client's flow-control window after its
     *     handler completed, and a close_notify before them would cut the response
     */
    Mono<Void> idle() {
      return exchangesDone().then(streamsClosed(connection.channel()));
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
    Mono<Void> stopAccepting =
        Mono.<Void>create(sink -> server.channel().close().addListener(f -> sink.success())).then(Mono.fromRunnable(this::goAway));
    return stopAccepting.then(
        Mono.defer(
            () -> {
              List<ServerShutdown.Member> members = new ArrayList<>();
              for (Tracked t : open.values()) {
                members.add(ServerShutdown.Member.of(closing(t.connection), t.idle()));
              }
              return how.run(Mono.empty(), members);
            }));
  }

  /**
   * G1 for HTTP/2: every open HTTP/2 connection gets a GOAWAY (NO_ERROR, naming the last stream the
   * server took), so that its client opens no new stream while the streams in flight finish. The
   * close_notify that follows goes out after it (the flush barrier). Not awaited: a client that
   * does not read must not hold the whole shutdown's start.
   */
  private void goAway() {
    for (Channel channel : open.keySet()) {
      if (channel.isActive() && channel.pipeline().get(Http2FrameCodec.class) != null) {
        channel.writeAndFlush(new DefaultHttp2GoAwayFrame(Http2Error.NO_ERROR)).addListener(f -> { });
      }
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
        return c.shutdown(spec.closeTransport(TransportPolicy.CLOSE))
            .flatMap(result -> closed.thenReturn(result))
            .onErrorResume(e -> closed.then(Mono.error(e)));
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
