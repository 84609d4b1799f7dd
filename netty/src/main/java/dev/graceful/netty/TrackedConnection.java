package dev.graceful.netty;

import dev.graceful.core.Shutdownable;
import dev.graceful.netty.internal.Admission;
import dev.graceful.netty.internal.CloseFrameWatch;
import dev.graceful.netty.internal.Http1Drain;
import dev.graceful.netty.internal.PingAnswerWatch;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http2.DefaultHttp2GoAwayFrame;
import io.netty.handler.codec.http2.DefaultHttp2PingFrame;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2ConnectionAdapter;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2Stream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;
import reactor.core.publisher.Sinks;
import reactor.netty.NettyPipeline;
import reactor.netty.channel.ChannelOperations;
import reactor.netty.http.HttpInfos;
import reactor.netty.http.websocket.WebsocketOutbound;

/**
 * One accepted connection, over TLS or cleartext, with its exchanges in flight: what {@link
 * GracefulServer} announces a shutdown to, waits for, and shuts down.
 */
final class TrackedConnection implements Admission {
  /** How often, and how many times, a WebSocket upgrade under way is looked at again. */
  static final Duration UPGRADE_LOOK = Duration.ofMillis(5);

  static final int UPGRADE_LOOKS = 200;

  private final Channel channel;
  private final Shutdownable connection;
  /** Null for a cleartext connection. */
  private final @Nullable NettyTlsConnection tls;
  /** Null for a TLS connection. */
  private final @Nullable NettyCleartextConnection cleartext;

  private int active;
  /** Set once the connection's in-flight exchanges ended with its shutdown under way. */
  private boolean closing;
  private final List<MonoSink<Void>> waiting = new ArrayList<>(1);
  private final AtomicLong refused = new AtomicLong();
  /**
   * What the shutdown's announcement waits for: a WebSocket's close frame answered, HTTP/2's final
   * GOAWAY sent. Nothing for plain HTTP/1.1 and TCP.
   */
  private volatile Mono<Void> announced = Mono.empty();
  private final Sinks.Empty<Void> settled = Sinks.empty();
  private boolean wentAway;

  private TrackedConnection(Channel channel, @Nullable NettyTlsConnection tls, @Nullable NettyCleartextConnection cleartext) {
    this.channel = channel;
    this.tls = tls;
    this.cleartext = cleartext;
    this.connection = tls != null ? tls : Objects.requireNonNull(cleartext);
  }

  /**
   * @param channel an accepted connection's channel (not an HTTP/2 stream)
   * @return it, tracked: over TLS when its pipeline has an {@code SslHandler} or a handler that
   *     installs one after the client's hello (an SNI handler), else cleartext
   */
  static TrackedConnection of(Channel channel) {
    if (NettyTlsConnection.tlsHandler(channel) != null) {
      NettyTlsConnection tls = NettyTlsConnection.of(channel);
      TrackedConnection t = new TrackedConnection(channel, tls, null);
      tls.answerWhen(t::idle);
      tls.readByApplication(); // reactor-netty reads every byte: what a policy refuses is its
      return t;
    }
    return new TrackedConnection(channel, null, NettyCleartextConnection.of(channel));
  }

  Channel channel() {
    return channel;
  }

  Shutdownable connection() {
    return connection;
  }

  /** @return requests that arrived after the connection was told to close, not dispatched */
  long refusedRequests() {
    return refused.get();
  }

  /** An exchange begins. */
  synchronized void begin() {
    active++;
  }

  /** An exchange ended (or was cancelled). */
  void end() {
    List<MonoSink<Void>> done;
    synchronized (this) {
      if (active == 0 || --active > 0 || waiting.isEmpty()) {
        return;
      }
      closing = true;
      done = List.copyOf(waiting);
      waiting.clear();
    }
    done.forEach(MonoSink::success);
  }

  @Override
  public synchronized boolean admit() {
    if (closing || connection.shutdownState().sent()) {
      return false;
    }
    active++;
    return true;
  }

  @Override
  public void done() {
    end();
  }

  @Override
  public void refused() {
    refused.incrementAndGet();
  }

  /**
   * @return completes when the TLS handshake, if any, has ended, no exchange is in flight, what
   *     the shutdown announced has settled,
   *     and, over HTTP/2, every stream has ended: a response's last frames can still wait behind
   *     the client's flow-control window after its handler completed, and a close before them
   *     would cut the response
   */
  Mono<Void> idle() {
    // over TLS, a handshake under way (on a server with SNI, one whose hello is still to come) is
    // in flight too: close_notify can only be exchanged once it is done
    NettyTlsConnection secure = tls;
    Mono<Void> handshake = secure != null ? secure.handshakeEnded() : Mono.empty();
    return handshake.then(exchangesDone()).then(Mono.defer(() -> announced)).then(streamsClosed());
  }

  private Mono<Void> exchangesDone() {
    return Mono.create(
        sink -> {
          synchronized (this) {
            if (active > 0) {
              waiting.add(sink);
              sink.onCancel(() -> forget(sink));
              return;
            }
            closing = true;
          }
          sink.success();
        });
  }

  private synchronized void forget(MonoSink<Void> sink) {
    waiting.remove(sink);
  }

  /**
   * G1, G2, G7 for what runs on the connection beyond single exchanges. HTTP/2 (h2 and h2c) gets
   * RFC 9113's two GOAWAYs; a WebSocket a close frame (1001, going away); HTTP/1.1 a {@code
   * Connection: close} on its responses and refuses requests once told to close. A cleartext
   * connection's closes from above are held from now on, so that each ends by graceful's
   * half-close and the peer's FIN rather than a reset-prone full close. Not awaited. Announcing
   * again does nothing more, except on a connection that became HTTP/2 since (an h2c upgrade):
   * it then gets its GOAWAYs.
   */
  void announce() {
    if (!channel.isActive()) {
      return;
    }
    Http2FrameCodec codec = channel.pipeline().get(Http2FrameCodec.class);
    ChannelOperations<?, ?> ops = ChannelOperations.get(channel);
    if (codec != null) {
      goAway(codec);
    } else if (ops instanceof WebsocketOutbound || (ops instanceof HttpInfos request && request.isWebsocket())) {
      goingAway(); // a WebSocket, or an upgrade to one under way
    } else {
      channel.eventLoop().execute(this::drainHttp1); // HTTP/1.1 (nothing for TCP)
    }
    NettyCleartextConnection plain = cleartext;
    if (plain != null) {
      channel.eventLoop().execute(plain::holdCloses);
    }
  }

  /**
   * Event loop: see {@link Http1Drain}, which goes right after the channel's HTTP/1.1 codec; nothing
   * on a channel without one (TCP, HTTP/2). reactor-netty names that codec {@code
   * NettyPipeline.HttpCodec} on an HTTP/1.1-only server; on one that also speaks h2c ({@code
   * protocol(HTTP11, H2C)}) Netty's cleartext upgrade handler ({@code
   * NettyPipeline.H2CUpgradeHandler}) puts it in the pipeline under a generated name ({@code
   * HttpServerCodec#0}, before {@code HttpServerUpgradeHandler#0}), and takes it out again once the
   * connection became HTTP/2: so it is found by its type.
   */
  private void drainHttp1() {
    ChannelPipeline p = channel.pipeline();
    ChannelHandlerContext codec = p.context(NettyPipeline.HttpCodec);
    if (codec == null) {
      codec = p.context(HttpServerCodec.class);
    }
    if (channel.isActive() && codec != null && p.get(Http1Drain.NAME) == null) {
      p.addAfter(codec.name(), Http1Drain.NAME, new Http1Drain(this));
    }
  }

  /**
   * RFC 6455 §7.1.2 for a server going away: sends a close frame (1001) through reactor-netty's
   * WebSocket, which then closes the channel at once; that close is held until graceful's own,
   * after the client's close frame and the connection's shutdown. {@link #idle()} completes when
   * the client's close frame arrives, or (TLS) its close_notify, or the channel closes.
   */
  private void goingAway() {
    // a client may answer with its close_notify alone, without a close frame
    NettyTlsConnection secure = tls;
    NettyCleartextConnection plain = cleartext;
    Mono<Void> answered = secure != null ? Mono.firstWithSignal(settled.asMono(), secure.peerCloseNotify()) : settled.asMono();
    announce(
        answered,
        () -> {
          if (secure != null) {
            secure.holdCloses();
          } else if (plain != null) {
            plain.holdCloses();
          }
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
    ws.sendClose(WebSocketCloseStatus.ENDPOINT_UNAVAILABLE.code(), GracefulServer.GOING_AWAY).subscribe(null, e -> { });
  }

  /**
   * RFC 9113 §6.8, a graceful HTTP/2 shutdown: a first GOAWAY with the largest stream id (the
   * client stops opening streams; those already on their way are still taken), a PING, and once
   * its answer proves a round trip, the final GOAWAY naming the last stream the server took.
   * {@link #idle()} waits for the final one, so the client learns which of its streams were
   * processed before the connection's close.
   */
  private void goAway(Http2FrameCodec codec) {
    announce(
        settled.asMono(),
        () -> {
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
    channel
        .eventLoop()
        .execute(
            () -> {
              channel.closeFuture().addListener(f -> settled.tryEmitEmpty());
              onLoop.run();
            });
  }

  /** HTTP/2: completes once the connection has no active stream (or is closed); at once otherwise. */
  private Mono<Void> streamsClosed() {
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
}
