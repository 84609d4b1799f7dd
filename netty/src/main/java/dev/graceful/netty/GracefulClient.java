package dev.graceful.netty;

import dev.graceful.netty.internal.PeerClosingWatch;
import io.netty.channel.Channel;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.ssl.SslClosedEngineException;
import java.util.Objects;
import java.util.function.BiPredicate;
import reactor.netty.Connection;
import reactor.netty.NettyPipeline;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.client.PrematureCloseException;
import reactor.netty.resources.ConnectionProvider;
import reactor.util.retry.Retry;

/**
 * G9, the client's side of a graceful server shutdown, for reactor-netty's {@link HttpClient}: a
 * pooled connection whose peer said it will close (its close_notify, its FIN, an HTTP/2 GOAWAY, or
 * a response saying {@code Connection: close}) is never handed out for another request.
 *
 * <pre>{@code
 * ConnectionProvider pool =
 *     ConnectionProvider.builder("backend").evictionPredicate(GracefulClient.evictionPredicate()).build();
 * HttpClient client = GracefulClient.install(HttpClient.create(pool));
 * client.get().uri("/items").responseContent().aggregate().asString()
 *     .retryWhen(GracefulClient.retryUnanswered(2));     // idempotent requests only
 * }</pre>
 *
 * <p>Eviction covers a close the client has already read. A close still on the wire when a request
 * is written cannot be seen by any client: the request meets the close. A graceful server does not
 * dispatch such a request (it closes without a response), and {@link #retryUnanswered(long)}
 * repeats it on a fresh connection, which RFC 9110 §9.2.2 allows for idempotent methods only.
 */
public final class GracefulClient {
  private GracefulClient() {}

  /**
   * Watches every connection {@code client} opens for its peer's closing signals, which {@link
   * #evictionPredicate()} reads.
   *
   * @param client a reactor-netty HTTP client
   * @return the client, watched
   */
  public static HttpClient install(HttpClient client) {
    return Objects.requireNonNull(client, "client")
        .doOnChannelInit((observer, channel, remote) -> watch(channel));
  }

  private static void watch(Channel channel) {
    ChannelPipeline p = channel.pipeline();
    if (p.get(PeerClosingWatch.NAME) != null) {
      return;
    }
    if (p.get(NettyPipeline.ReactiveBridge) != null) {
      p.addBefore(NettyPipeline.ReactiveBridge, PeerClosingWatch.NAME, new PeerClosingWatch());
    } else {
      p.addLast(PeerClosingWatch.NAME, new PeerClosingWatch());
    }
  }

  /**
   * For {@link ConnectionProvider.ConnectionPoolSpec#evictionPredicate}: evicts a connection that
   * is closed or whose peer said it will close (watched by {@link #install(HttpClient)}; an HTTP/2
   * GOAWAY and a closed channel are seen without it). It replaces the pool's idle and life-time
   * limits, so combine it with those you need:
   *
   * <pre>{@code
   * GracefulClient.evictionPredicate().or((c, meta) -> meta.idleTime() > 30_000)
   * }</pre>
   *
   * @return the predicate
   */
  public static BiPredicate<Connection, ConnectionProvider.ConnectionMetadata> evictionPredicate() {
    return (connection, metadata) -> PeerClosingWatch.closing(connection.channel());
  }

  /**
   * @param connection a client connection
   * @return whether it must not carry another request: closed, or its peer said it will close
   */
  public static boolean isClosing(Connection connection) {
    return PeerClosingWatch.closing(Objects.requireNonNull(connection, "connection").channel());
  }

  /**
   * Retries a request that its connection's close met before any response arrived (reactor-netty's
   * "prematurely closed BEFORE response"), that was written onto a TLS connection already closed,
   * or whose connection was refused (a server that stopped listening, as one shutting down does): a
   * graceful server did not process it. Immediately, at most {@code maxRetries} times. For
   * idempotent requests only: a server that is not graceful may have processed it.
   *
   * @param maxRetries how many times, at least 1
   * @return the retry spec, for {@code retryWhen}
   */
  public static Retry retryUnanswered(long maxRetries) {
    if (maxRetries < 1) {
      throw new IllegalArgumentException("maxRetries must be at least 1: " + maxRetries);
    }
    return Retry.max(maxRetries).filter(GracefulClient::unanswered);
  }

  /**
   * @param error how a request failed
   * @return whether the server cannot have answered it: its connection closed before any response
   */
  public static boolean unanswered(Throwable error) {
    Objects.requireNonNull(error, "error");
    return (error instanceof PrematureCloseException p
            && String.valueOf(p.getMessage()).contains("BEFORE response"))
        || error instanceof SslClosedEngineException
        // refused: no connection, so nothing of the request was sent
        || error instanceof java.net.ConnectException;
  }
}
