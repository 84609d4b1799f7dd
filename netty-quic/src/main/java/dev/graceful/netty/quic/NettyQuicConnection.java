package dev.graceful.netty.quic;

import dev.graceful.core.ShutdownException;
import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.core.ShutdownState;
import dev.graceful.core.Shutdownable;
import dev.graceful.core.spi.ShutdownCoordinator;
import dev.graceful.netty.quic.internal.NettyQuicEngine;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.handler.codec.quic.QuicStreamType;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

/**
 * A Netty {@link QuicChannel} (client or server side, as Netty's QUIC codec or reactor-netty's
 * HTTP/3 gives it) with the SSL_shutdown_ex semantics of graceful's Kwik backend: {@link
 * #shutdown(ShutdownSpec)} closes it by the spec's mode ({@code rfc()} by default, {@code rapid()},
 * {@code waitPeer()}), with the code and reason of the spec's {@code QuicShutdown} option, draining
 * the streams opened or adopted through this connection first unless {@code noStreamFlush()}. The
 * shutdown runs on the channel's event loop; graceful adds one handler at the end of the channel's
 * pipeline to hear the peer's close.
 *
 * <p>Where Netty's codec differs from Kwik: application error codes above 2^31 − 1 are refused
 * ({@code INVALID_ARGUMENT}, nothing sent), since Netty's close carries an {@code int}; the codec
 * frees the connection as it sends the close, so the closing period is timed but packets arriving
 * in it are not answered; a stream's delivery is proven once it was concluded (or acknowledged by
 * the application).
 */
public final class NettyQuicConnection implements Shutdownable {
  private final NettyQuicEngine engine;
  private final ShutdownCoordinator coordinator;

  private NettyQuicConnection(QuicChannel channel, String identity) {
    this.engine = new NettyQuicEngine(channel, identity);
    this.coordinator = new ShutdownCoordinator(engine);
    engine.listen();
    CloseWarmUp.start();
  }

  /**
   * Q7: links graceful's close path ahead of the first close, once per JVM, on a short-lived daemon
   * thread of its own (it returns at once). {@code of} and {@link NettyQuicServer#bind} do this
   * too; a client calls it before its first handshake, so that the warm-up runs while the handshake
   * does instead of beside the first close. Nothing it does reaches a connection or the network.
   * Netty's own close path, behind its native code, is not part of it.
   */
  public static void warmUp() {
    CloseWarmUp.start();
  }

  /**
   * @param channel an active QUIC connection; graceful adds a handler at the end of its pipeline
   * @param identity a name for results and errors, e.g. the peer's address
   * @return the connection
   */
  public static NettyQuicConnection of(QuicChannel channel, String identity) {
    return new NettyQuicConnection(
        Objects.requireNonNull(channel, "channel"), Objects.requireNonNull(identity, "identity"));
  }

  /**
   * @param channel an active QUIC connection
   * @return the connection, named by its peer's socket address
   */
  public static NettyQuicConnection of(QuicChannel channel) {
    return of(channel, String.valueOf(channel.remoteSocketAddress()));
  }

  /**
   * Opens a bidirectional stream whose data a later shutdown drains (Q5); what the peer sends on it
   * is counted and released ({@link NettyQuicStream#readAll()}).
   *
   * @return the stream
   */
  public Mono<NettyQuicStream> openStream() {
    return open(QuicStreamType.BIDIRECTIONAL, null);
  }

  /**
   * As {@link #openStream()}, with the application's own handler first in the stream's pipeline.
   *
   * @param handler the application's handler
   * @return the stream
   */
  public Mono<NettyQuicStream> openStream(ChannelHandler handler) {
    return open(QuicStreamType.BIDIRECTIONAL, Objects.requireNonNull(handler, "handler"));
  }

  /**
   * Opens a unidirectional stream (this side sends) whose data a later shutdown drains (Q5).
   *
   * @return the stream
   */
  public Mono<NettyQuicStream> openUnidirectionalStream() {
    return open(QuicStreamType.UNIDIRECTIONAL, null);
  }

  private Mono<NettyQuicStream> open(QuicStreamType type, @Nullable ChannelHandler handler) {
    return Mono.create(
        sink -> {
          NettyQuicStream[] made = new NettyQuicStream[1];
          ChannelInitializer<QuicStreamChannel> init =
              new ChannelInitializer<>() {
                @Override
                protected void initChannel(QuicStreamChannel ch) {
                  NettyQuicStream s = new NettyQuicStream(ch, NettyQuicConnection.this);
                  made[0] = s;
                  if (handler != null) {
                    ch.pipeline().addLast(handler);
                  }
                  ch.pipeline().addLast(s.reader());
                  engine.track(s.tracked());
                }
              };
          engine
              .channel()
              .createStream(type, init)
              .addListener(
                  f -> {
                    if (f.isSuccess() && made[0] != null) {
                      sink.success(made[0]);
                    } else {
                      sink.error(
                          f.cause() != null
                              ? f.cause()
                              : new IllegalStateException("the stream was not initialised"));
                    }
                  });
        });
  }

  /**
   * Tracks a stream the peer opened, so its writes are drained too; graceful's reading handler goes
   * at the end of its pipeline. Call on the stream's event loop, from its initializer, so nothing
   * it receives passes by unread.
   *
   * @param stream a stream of this connection
   * @return the handle
   */
  public NettyQuicStream adopt(QuicStreamChannel stream) {
    NettyQuicStream s = new NettyQuicStream(stream, this);
    stream.pipeline().addLast(s.reader());
    if (stream.eventLoop().inEventLoop()) {
      engine.track(s.tracked());
    } else {
      stream.eventLoop().execute(() -> engine.track(s.tracked()));
    }
    return s;
  }

  void poke() {
    engine.poke();
  }

  void countRead(long n) {
    engine.bytesRead(n);
  }

  @Override
  public Mono<ShutdownResult> shutdown(ShutdownSpec spec) {
    return coordinator.shutdown(spec);
  }

  /**
   * @return the default shutdown: RFC mode, drain first, code 0, empty reason, 10 s deadline
   */
  public Mono<ShutdownResult> shutdown() {
    return shutdown(ShutdownSpec.bidirectional().rfc());
  }

  @Override
  public ShutdownState shutdownState() {
    return engine.state();
  }

  /**
   * Q11: setting a QUIC connection's shutdown state is not supported.
   *
   * @param state ignored
   * @return an error, always
   */
  public Mono<Void> setShutdownState(ShutdownState state) {
    return Mono.error(
        new ShutdownException(
            ShutdownException.Reason.ILLEGAL_STATE,
            connectionId(),
            engine.state(),
            "the shutdown state of a QUIC connection cannot be set",
            null));
  }

  /**
   * @return application bytes read from the peer through this connection's streams so far, as a
   *     shutdown result's {@code connectionBytesRead} counts them; any thread
   */
  public long bytesRead() {
    return engine.connectionBytesRead();
  }

  @Override
  public String connectionId() {
    return engine.connectionId();
  }

  /**
   * @return completes once the connection is over, for any reason: a local or peer close, an idle
   *     timeout
   */
  public Mono<Void> ended() {
    return Mono.create(sink -> engine.whenEnded(sink::success));
  }

  /**
   * @return the Netty channel
   */
  public QuicChannel channel() {
    return engine.channel();
  }
}
