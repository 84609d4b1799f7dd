package dev.graceful.netty;

import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.core.ShutdownState;
import dev.graceful.core.Shutdownable;
import dev.graceful.core.TransportPolicy;
import dev.graceful.core.spi.ShutdownCoordinator;
import dev.graceful.netty.internal.GracefulTlsHandler;
import dev.graceful.netty.internal.NettyTlsEngine;
import dev.graceful.netty.internal.TlsRecordReader;
import dev.graceful.netty.internal.TlsRecordWatch;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.ssl.AbstractSniHandler;
import io.netty.handler.ssl.SslClientHelloHandler;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.AttributeKey;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxSink;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * A Netty (or reactor-netty) TLS connection with graceful's shutdown: {@link
 * #shutdown(ShutdownSpec)} sends close_notify through the channel's {@code SslHandler} after every
 * queued write and waits for the peer's by the spec's mode, with the same results and errors as
 * graceful's own connections. When the peer closes first, graceful answers once the connection is
 * idle (its in-flight exchange done) and closes the channel, and reports that ending on {@link
 * #ended()}.
 *
 * <p>As over graceful's own connections, data that arrives while a shutdown waits for the peer goes
 * to the policy's {@code readInto} consumer, is discarded ({@code discardUnread}), arrives on
 * {@link #receive()}, or else ends the shutdown with {@code UNREAD_DATA} and passes on to the
 * channel's handlers (T5); a shutdown that did not hear the peer's close says {@code
 * truncationRisk} (T6); a fatal alert from the peer, or a record that does not decrypt, is {@code
 * PROTOCOL}, not {@code TRUNCATED}, and a shutdown after that failure is refused with {@code
 * ILLEGAL_STATE} (T11). Alerts are read from the TLS records the peer sends, before the {@code
 * SslHandler}: their description is known when it travels in the clear (an alert in the handshake,
 * or one the peer sends unencrypted); TLS 1.2 encrypts it after the handshake, and TLS 1.3 hides
 * even that the record is an alert.
 */
public final class NettyTlsConnection implements Shutdownable {
  private static final AttributeKey<NettyTlsConnection> KEY = AttributeKey.valueOf("graceful.tls");

  /** How graceful answers a close_notify the peer sent first, unless told otherwise. */
  static final ShutdownSpec ANSWER =
      ShutdownSpec.bidirectional()
          .waitPeer()
          .timeout(Duration.ofSeconds(10))
          .closeTransport(TransportPolicy.CLOSE);

  private final Channel channel;
  private final TlsRecordReader records = new TlsRecordReader();
  private final NettyTlsEngine engine;
  private final ShutdownCoordinator coordinator;
  private final Sinks.One<ShutdownResult> ended = Sinks.one();
  private final Sinks.Empty<Void> peerCloseNotify = Sinks.empty();
  private final Sinks.Empty<Void> handshakeEnded = Sinks.empty();
  private volatile Supplier<Mono<Void>> idle = Mono::empty;
  private volatile ShutdownSpec answer = ANSWER;
  private volatile boolean answerChosen;

  private NettyTlsConnection(Channel channel, @Nullable SslHandler ssl) {
    this.channel = channel;
    this.engine = new NettyTlsEngine(channel, ssl, records, "netty:" + channel.remoteAddress());
    this.coordinator = new ShutdownCoordinator(engine);
  }

  /**
   * The channel's connection, created (and its handler installed after the {@code SslHandler}) on
   * first use.
   *
   * <p>A server with SNI starts each channel with an SNI handler (Netty's {@link
   * AbstractSniHandler}, reactor-netty's with SNI mappings), which replaces itself with an {@code
   * SslHandler} once the client's hello named the host: such a channel is over TLS too, and its
   * {@code SslHandler} is found once there. Until a handshake completed no close_notify can be
   * exchanged: a shutdown then fails with {@code ILLEGAL_STATE}, nothing sent, and closes the
   * channel.
   *
   * @param channel a channel with an {@code SslHandler}, or an SNI handler, in its pipeline
   * @return its connection
   * @throws IllegalArgumentException when the channel has neither
   */
  public static NettyTlsConnection of(Channel channel) {
    Objects.requireNonNull(channel, "channel");
    NettyTlsConnection existing = channel.attr(KEY).get();
    if (existing != null) {
      return existing;
    }
    ChannelHandlerContext ctx = tlsHandler(channel);
    if (ctx == null) {
      throw new IllegalArgumentException(
          "no SslHandler (nor an SNI handler) in the pipeline of " + channel);
    }
    NettyTlsConnection c =
        new NettyTlsConnection(channel, ctx.handler() instanceof SslHandler ssl ? ssl : null);
    NettyTlsConnection raced = channel.attr(KEY).setIfAbsent(c);
    if (raced != null) {
      return raced;
    }
    channel
        .pipeline()
        .addBefore(
            ctx.name(),
            TlsRecordWatch.NAME,
            new TlsRecordWatch(c.records, c.engine::onPeerFatalAlert));
    channel
        .pipeline()
        .addAfter(
            ctx.name(),
            GracefulTlsHandler.NAME,
            new GracefulTlsHandler(c.engine, c::peerClosed, c::onHandshakeEnd));
    // a handshake that ended before the handler was there, or never ends: the channel's end
    if (ctx.handler() instanceof SslHandler ssl) {
      ssl.handshakeFuture().addListener(f -> c.onHandshakeEnd());
    }
    channel.closeFuture().addListener(f -> c.onHandshakeEnd());
    return c;
  }

  /**
   * @param channel a channel
   * @return where TLS runs in its pipeline: the {@code SslHandler}, or the handler that installs
   *     one in its place once the client's hello arrived (any {@link SslClientHelloHandler}, such
   *     as an SNI handler); null for a cleartext channel
   */
  static @Nullable ChannelHandlerContext tlsHandler(Channel channel) {
    ChannelHandlerContext ctx = channel.pipeline().context(SslHandler.class);
    return ctx != null ? ctx : channel.pipeline().context(SslClientHelloHandler.class);
  }

  /**
   * @param connection a reactor-netty connection over TLS
   * @return its graceful connection
   */
  public static NettyTlsConnection of(reactor.netty.Connection connection) {
    return of(Objects.requireNonNull(connection, "connection").channel());
  }

  /**
   * @param idle completes when the connection has no exchange in flight; a close_notify from the
   *     peer is answered only then (G2 for peer-initiated closes)
   * @return this connection
   */
  public NettyTlsConnection answerWhen(Supplier<Mono<Void>> idle) {
    this.idle = Objects.requireNonNull(idle, "idle");
    return this;
  }

  /**
   * The policy a close_notify the peer sent first is answered with, once the connection is idle
   * ({@link #answerWhen}): by default our close_notify within 10 s on Reactor's parallel scheduler,
   * then the channel closed ({@code bidirectional().waitPeer().timeout(10s)
   * .closeTransport(CLOSE)}). Its deadline runs on its scheduler (R3); how the answer ended is
   * {@link #ended()}.
   *
   * @param answer the policy of the answer
   * @return this connection
   */
  public NettyTlsConnection answerWith(ShutdownSpec answer) {
    this.answer = Objects.requireNonNull(answer, "answer");
    answerChosen = true;
    return this;
  }

  /** A server's policy for the answer, unless the application chose one for this connection. */
  void answerByDefault(ShutdownSpec serverAnswer) {
    if (!answerChosen) {
      this.answer = serverAnswer;
    }
  }

  /**
   * The channel's own handlers read every byte it delivers, as a reactor-netty server's do: data a
   * refusing policy leaves to them while a shutdown waits is read there, and does not end the
   * shutdown with {@code UNREAD_DATA}.
   */
  void readByApplication() {
    engine.readByApplication();
  }

  /**
   * Event loop: holds closes from above until graceful's own (see {@link
   * NettyTlsEngine#holdCloses()}).
   */
  void holdCloses() {
    engine.holdCloses();
  }

  /**
   * @return completes when the peer's close_notify arrives
   */
  Mono<Void> peerCloseNotify() {
    return peerCloseNotify.asMono();
  }

  /**
   * @return completes when the TLS handshake ended (done or failed) or the channel closed: only
   *     then can a close_notify be exchanged, or it is certain that none can
   */
  Mono<Void> handshakeEnded() {
    return handshakeEnded.asMono();
  }

  private void onHandshakeEnd() {
    handshakeEnded.tryEmitEmpty();
  }

  /** Event loop: the peer's close_notify arrived. */
  private void peerClosed() {
    peerCloseNotify.tryEmitEmpty();
    Mono.defer(() -> idle.get())
        .then(Mono.defer(() -> coordinator.shutdown(answer)))
        .subscribe(
            ended::tryEmitValue,
            e -> {
              ended.tryEmitError(e);
              channel.close();
            });
  }

  /**
   * Reads application data until the peer's close_notify, which completes the Flux as an
   * end-of-stream after all data sent before it (T3, T5). A transport EOF without close_notify
   * errors with {@code TRUNCATED}, a failure of the TLS layer (an alert from the peer, a bad
   * record) with {@code PROTOCOL}. Each buffer is a copy the subscriber owns, emitted on the
   * channel's event loop; what arrives ahead of the subscriber's demand is buffered.
   *
   * <p>While it is subscribed, the data it receives no longer reaches the channel's other handlers.
   * Subscribed beside a shutdown that waits for the peer, it receives the data that arrives after
   * our close_notify (T5): the shutdown then completes at the peer's close_notify. A shutdown whose
   * policy reads ({@code readInto}) or discards ({@code discardUnread}) takes the data first. One
   * subscriber at a time: another errors with {@code ILLEGAL_STATE}.
   *
   * @return the data
   */
  public Flux<ByteBuffer> receive() {
    return Flux.create(
        sink -> {
          channel.eventLoop().execute(() -> engine.receive(sink));
          sink.onDispose(() -> channel.eventLoop().execute(() -> engine.stopReceiving(sink)));
        },
        FluxSink.OverflowStrategy.BUFFER);
  }

  @Override
  public Mono<ShutdownResult> shutdown(ShutdownSpec spec) {
    return coordinator.shutdown(spec).doOnNext(ended::tryEmitValue);
  }

  /**
   * @return the result of the shutdown that ended this connection (graceful's answer to the peer's
   *     close, or a shutdown subscribed through this connection); an error if graceful's answer to
   *     the peer failed
   */
  public Mono<ShutdownResult> ended() {
    return ended.asMono();
  }

  @Override
  public ShutdownState shutdownState() {
    return engine.state();
  }

  @Override
  public String connectionId() {
    return engine.connectionId();
  }

  /**
   * @return the channel
   */
  public Channel channel() {
    return channel;
  }
}
