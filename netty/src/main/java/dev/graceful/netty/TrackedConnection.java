package dev.graceful.netty;

import dev.graceful.core.ShutdownSpec;
import dev.graceful.core.Shutdownable;
import dev.graceful.netty.internal.Admission;
import dev.graceful.netty.internal.Http1Drain;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http2.Http2FrameCodec;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;
import reactor.core.scheduler.Scheduler;
import reactor.netty.NettyPipeline;
import reactor.netty.channel.ChannelOperations;
import reactor.netty.http.HttpInfos;
import reactor.netty.http.websocket.WebsocketOutbound;

/**
 * One accepted connection, over TLS or cleartext, with its exchanges in flight: what {@link
 * GracefulServer} announces a shutdown to, waits for, and shuts down.
 */
final class TrackedConnection implements Admission {
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
  private final ShutdownNotice notice;

  private TrackedConnection(
      Channel channel,
      @Nullable NettyTlsConnection tls,
      @Nullable NettyCleartextConnection cleartext) {
    this.channel = channel;
    this.tls = tls;
    this.cleartext = cleartext;
    this.connection = tls != null ? tls : Objects.requireNonNull(cleartext);
    this.notice = new ShutdownNotice(channel);
  }

  /**
   * @param channel an accepted connection's channel (not an HTTP/2 stream)
   * @return it, tracked: over TLS when its pipeline has an {@code SslHandler} or a handler that
   *     installs one after the client's hello (an SNI handler), else cleartext
   */
  static TrackedConnection of(Channel channel, ShutdownSpec answer) {
    if (NettyTlsConnection.tlsHandler(channel) != null) {
      NettyTlsConnection tls = NettyTlsConnection.of(channel);
      TrackedConnection t = new TrackedConnection(channel, tls, null);
      tls.answerWhen(t::idle).answerByDefault(answer);
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

  /**
   * @return requests that arrived after the connection was told to close, not dispatched
   */
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
   * @return completes when the TLS handshake, if any, has ended, no exchange is in flight, what the
   *     shutdown announced has settled, and, over HTTP/2, every stream has ended: a response's last
   *     frames can still wait behind the client's flow-control window after its handler completed,
   *     and a close before them would cut the response
   */
  Mono<Void> idle() {
    // over TLS, a handshake under way (on a server with SNI, one whose hello is still to come) is
    // in flight too: close_notify can only be exchanged once it is done
    NettyTlsConnection secure = tls;
    Mono<Void> handshake = secure != null ? secure.handshakeEnded() : Mono.empty();
    return handshake
        .then(exchangesDone())
        .then(notice.awaited())
        .then(Http2GoAway.streamsClosed(channel));
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
   * connection's closes from above are held from now on, so that each ends by graceful's half-close
   * and the peer's FIN rather than a reset-prone full close. Not awaited. Announcing again does
   * nothing more, except on a connection that became HTTP/2 since (an h2c upgrade): it then gets
   * its GOAWAYs.
   *
   * @param clock the shutdown's clock, which times the looks at a WebSocket upgrade under way
   */
  void announce(Scheduler clock) {
    if (!channel.isActive()) {
      return;
    }
    Http2FrameCodec codec = channel.pipeline().get(Http2FrameCodec.class);
    ChannelOperations<?, ?> ops = ChannelOperations.get(channel);
    if (codec != null) {
      Http2GoAway.announce(channel, codec, notice);
    } else if (ops instanceof WebsocketOutbound
        || (ops instanceof HttpInfos request && request.isWebsocket())) {
      WebSocketGoingAway.announce(
          channel, notice, tls, cleartext, clock); // a WebSocket, or an upgrade to one
    } else {
      channel.eventLoop().execute(this::drainHttp1); // HTTP/1.1 (nothing for TCP)
    }
    NettyCleartextConnection plain = cleartext;
    if (plain != null) {
      channel.eventLoop().execute(plain::holdCloses);
    }
  }

  /**
   * Event loop: see {@link Http1Drain}, which goes right after the channel's HTTP/1.1 codec;
   * nothing on a channel without one (TCP, HTTP/2). reactor-netty names that codec {@code
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
}
