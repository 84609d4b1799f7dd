package dev.graceful.netty;

import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.core.ShutdownState;
import dev.graceful.core.Shutdownable;
import dev.graceful.core.spi.ShutdownCoordinator;
import dev.graceful.netty.internal.GracefulCleartextHandler;
import dev.graceful.netty.internal.NettyCleartextEngine;
import io.netty.channel.Channel;
import io.netty.util.AttributeKey;
import java.util.Objects;
import reactor.core.publisher.Mono;

/**
 * A cleartext Netty (or reactor-netty) connection, plain TCP without TLS, with graceful's shutdown.
 * There is no close_notify to send: TCP's FIN takes its place, and the results say so truthfully.
 *
 * <table>
 *   <caption>What a result means for a cleartext connection</caption>
 *   <tr><th>component</th><th>value</th></tr>
 *   <tr><td>protocol</td><td>{@code "cleartext"}: no security protocol was negotiated</td></tr>
 *   <tr><td>state SENT</td><td>our FIN went out (a half-close after every queued write, or the
 *       channel's close)</td></tr>
 *   <tr><td>state RECEIVED</td><td>the peer's FIN arrived (the channel ended without an I/O
 *       error)</td></tr>
 *   <tr><td>outcome COMPLETE</td><td>both FINs: every byte either side sent was read</td></tr>
 *   <tr><td>outcome SENT</td><td>our FIN only (fast mode, or the channel was already closed):
 *       {@code truncationRisk} is set</td></tr>
 *   <tr><td>unauthenticatedEof</td><td>always true once the peer's FIN counted: a FIN proves
 *       nothing about who sent it</td></tr>
 *   <tr><td>sessionResumable</td><td>always false</td></tr>
 * </table>
 *
 * A reset or another I/O error fails the shutdown with {@code TRANSPORT}; rfc and rapid (QUIC
 * modes) with {@code INVALID_ARGUMENT}.
 */
public final class NettyCleartextConnection implements Shutdownable {
  private static final AttributeKey<NettyCleartextConnection> KEY =
      AttributeKey.valueOf("graceful.cleartext");

  private final Channel channel;
  private final NettyCleartextEngine engine;
  private final ShutdownCoordinator coordinator;

  private NettyCleartextConnection(Channel channel) {
    this.channel = channel;
    this.engine = new NettyCleartextEngine(channel, "netty:" + channel.remoteAddress());
    this.coordinator = new ShutdownCoordinator(engine);
  }

  /**
   * The channel's connection, created (and its handler installed first in the pipeline) on first
   * use.
   *
   * @param channel a channel without an {@code SslHandler} (nor an SNI handler)
   * @return its connection
   * @throws IllegalArgumentException when the channel has an {@code SslHandler} or an SNI handler
   *     (use {@link NettyTlsConnection#of(Channel)})
   */
  public static NettyCleartextConnection of(Channel channel) {
    Objects.requireNonNull(channel, "channel");
    NettyCleartextConnection existing = channel.attr(KEY).get();
    if (existing != null) {
      return existing;
    }
    if (NettyTlsConnection.tlsHandler(channel) != null) {
      throw new IllegalArgumentException(
          "TLS (an SslHandler or an SNI handler) is in the pipeline of "
              + channel
              + ": use NettyTlsConnection");
    }
    NettyCleartextConnection c = new NettyCleartextConnection(channel);
    NettyCleartextConnection raced = channel.attr(KEY).setIfAbsent(c);
    if (raced != null) {
      return raced;
    }
    channel
        .pipeline()
        .addFirst(GracefulCleartextHandler.NAME, new GracefulCleartextHandler(c.engine));
    return c;
  }

  /**
   * Event loop: holds closes from above until graceful's own (see {@link
   * NettyCleartextEngine#holdCloses()}).
   */
  void holdCloses() {
    engine.holdCloses();
  }

  @Override
  public Mono<ShutdownResult> shutdown(ShutdownSpec spec) {
    return coordinator.shutdown(spec);
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
