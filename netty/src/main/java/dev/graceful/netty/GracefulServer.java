package dev.graceful.netty;

import dev.graceful.core.GracefulShutdown;
import dev.graceful.core.ServerShutdown;
import dev.graceful.core.ShutdownReport;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.core.Shutdownable;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ServerChannel;
import io.netty.handler.codec.http2.Http2StreamChannel;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiFunction;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;
import reactor.netty.transport.ServerTransport;

/**
 * Graceful shutdown of a reactor-netty server (TCP or HTTP; over TLS or cleartext): every accepted
 * connection is tracked with its in-flight exchanges, and {@link #shutdown(DisposableServer,
 * ServerShutdown)} stops accepting, lets exchanges finish within the grace period, shuts every
 * connection down by one policy on its own event loop, forces the stragglers at the deadline and
 * reports.
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
 * <p>Cleartext connections (HTTP/1.1, h2c, TCP) are tracked, drained and reported like TLS ones,
 * the TLS-only steps skipped: TCP's FIN stands in for close_notify (see {@link
 * NettyCleartextConnection} for what their results say).
 *
 * <p>What is in flight: over HTTP, each exchange of a handler wrapped by {@link #http} (or counted
 * by {@link #track(HttpServerRequest, Mono)}), and each HTTP/1.1 request read once the drain began
 * until its response is written. A TCP server has no exchanges of its own: its application marks
 * units of work with {@link #track(reactor.netty.Connection, Mono)}, and a connection without one
 * is idle, shut down at once. Long-lived exchanges watch {@link #draining()} to end in time.
 *
 * <p>A close_notify a client sends first (TLS 1.3 half-close) no longer closes the connection at
 * once: the response to the request in flight still goes out, then graceful answers and closes.
 *
 * <p>HTTP/1.1 responses whose head goes out once the shutdown started say {@code Connection:
 * close}, so that a keep-alive client sends no further request on a connection about to close.
 * HTTP/2 connections get a GOAWAY when the shutdown starts, count the exchanges of all their
 * streams, and are idle only once every stream has ended (its last frames written, not only queued
 * behind the client's flow control). WebSockets get a close frame (1001) when the shutdown starts
 * and are idle once the client answers it; reactor-netty's own close after that frame is held until
 * graceful's close_notify exchange has run. An HTTP/1.1 request that arrives once its connection
 * was told to close is not dispatched to the application: the client sees the connection close
 * without a response and may retry it.
 */
public final class GracefulServer {
  private final Map<Channel, TrackedConnection> open = new ConcurrentHashMap<>();
  private final Sinks.Empty<Void> draining = Sinks.empty();
  private final AtomicBoolean drainingStarted = new AtomicBoolean();
  private volatile ShutdownSpec answer = NettyTlsConnection.ANSWER;

  private GracefulServer() {}

  /**
   * @return a tracker for one server
   */
  public static GracefulServer create() {
    return new GracefulServer();
  }

  /**
   * The policy a TLS connection answers its client's close_notify with when the client closes
   * first, once its exchanges in flight are done; for connections tracked from now on. By default,
   * our close_notify within 10 s on Reactor's parallel scheduler, then the channel closed. Its
   * deadline runs on its scheduler (R3); a server that injects a clock gives it here as well as to
   * {@link ServerShutdown#scheduler}.
   *
   * @param answer the policy of the answer, see {@link NettyTlsConnection#answerWith}
   * @return this tracker
   */
  public GracefulServer answerPeerClosesWith(ShutdownSpec answer) {
    this.answer = Objects.requireNonNull(answer, "answer");
    return this;
  }

  /** The reason in the close frame a WebSocket gets when the server shuts down. */
  static final String GOING_AWAY = "server shutting down";

  /**
   * Tracks every connection {@code server} accepts, over TLS ({@code secure(...)}) or cleartext
   * (HTTP/1.1, h2c, TCP): each is drained, shut down and reported by {@link #shutdown}.
   *
   * @param server a reactor-netty TCP or HTTP server
   * @param <T> the server type
   * @return the server, tracked
   */
  public <T extends ServerTransport<T, ?>> T install(T server) {
    return Objects.requireNonNull(server, "server")
        .doOnChannelInit((observer, channel, remote) -> tracked(channel));
  }

  /**
   * G8: completes when a shutdown of this tracker's servers begins (the first subscription to
   * {@link #shutdown}), before the listening channel closes; at once for a subscriber that comes
   * later. Long-lived exchanges (server-sent events, WebSockets, streaming responses, a TCP
   * protocol's session) use it to finish cleanly within the grace period: a final event, a close
   * frame, their own protocol's goodbye. Never errors.
   *
   * @return completes when draining begins
   */
  public Mono<Void> draining() {
    return draining.asMono();
  }

  /**
   * @return whether a shutdown of this tracker's servers has begun (see {@link #draining()})
   */
  public boolean isDraining() {
    return drainingStarted.get();
  }

  /**
   * G2: counts {@code exchange} as in flight on the connection {@code request} arrived on (over
   * HTTP/2, the connection that carries its stream) from subscription until it terminates or is
   * cancelled; a shutdown waits for it (within its grace period) before it closes that connection.
   * Used by {@link #http} and by adapters that see reactor-netty's native request (a Spring {@code
   * HttpHandler} decorator). A connection this tracker has not seen yet (its server was not
   * {@linkplain #install installed}) is tracked from then on; on a closed one, {@code exchange}
   * runs uncounted.
   *
   * @param request the request, as reactor-netty hands it to a handler
   * @param exchange what handles it, typically the response being written
   * @return {@code exchange}, counted
   */
  public Mono<Void> track(HttpServerRequest request, Mono<Void> exchange) {
    Objects.requireNonNull(request, "request");
    Objects.requireNonNull(exchange, "exchange");
    return counted(
        () -> {
          Channel[] ch = new Channel[1];
          request.withConnection(c -> ch[0] = c.channel());
          return ch[0];
        },
        exchange);
  }

  /**
   * G2 for a TCP server, which has no exchanges of its own: counts {@code exchange}, a unit of work
   * the application marks (a message being answered, a session's last words after {@link
   * #draining()}), as in flight on {@code connection} from subscription until it terminates or is
   * cancelled. A shutdown lets such exchanges finish within its grace period; a connection without
   * one is idle, and shut down at once.
   *
   * @param connection the connection, as reactor-netty hands it to a TCP handler
   * @param exchange the work
   * @return {@code exchange}, counted
   */
  public Mono<Void> track(reactor.netty.Connection connection, Mono<Void> exchange) {
    Objects.requireNonNull(connection, "connection");
    Objects.requireNonNull(exchange, "exchange");
    return counted(connection::channel, exchange);
  }

  private Mono<Void> counted(Supplier<@Nullable Channel> channel, Mono<Void> exchange) {
    return Mono.defer(
        () -> {
          Channel ch = channel.get();
          // HTTP/2: the exchange runs on a stream channel; the connection is its parent, and
          // counts every stream's exchange
          Channel conn = ch instanceof Http2StreamChannel ? ch.parent() : ch;
          TrackedConnection t = conn == null ? null : tracked(conn);
          if (t == null) {
            return exchange;
          }
          t.begin();
          return exchange.doFinally(s -> t.end());
        });
  }

  private @Nullable TrackedConnection tracked(Channel channel) {
    if (channel instanceof Http2StreamChannel || channel instanceof ServerChannel) {
      return null;
    }
    TrackedConnection t = open.get(channel);
    if (t != null) {
      return t;
    }
    if (!channel.isOpen()) {
      return null;
    }
    TrackedConnection fresh = TrackedConnection.of(channel, answer);
    t = open.putIfAbsent(channel, fresh);
    if (t != null) {
      return t;
    }
    channel.closeFuture().addListener(f -> open.remove(channel));
    return fresh;
  }

  /**
   * Wraps an HTTP handler so that its exchanges count as in flight until its publisher ends (see
   * {@link #track(HttpServerRequest, Mono)}).
   *
   * @param handler the application's handler
   * @return the tracked handler
   */
  public BiFunction<HttpServerRequest, HttpServerResponse, Publisher<Void>> http(
      BiFunction<? super HttpServerRequest, ? super HttpServerResponse, ? extends Publisher<Void>>
          handler) {
    Objects.requireNonNull(handler, "handler");
    return (req, res) -> track(req, Flux.from(handler.apply(req, res)).then());
  }

  /**
   * @return the tracked connections still open, over TLS ({@link NettyTlsConnection}) or cleartext
   *     ({@link NettyCleartextConnection})
   */
  public Collection<Shutdownable> openConnections() {
    return open.values().stream().map(TrackedConnection::connection).toList();
  }

  /**
   * G1–G5, G7: signals {@link #draining()}, stops {@code server} accepting (its listening channel
   * closes; the event loops and open connections stay), then shuts every open connection down by
   * {@code how}, closing each channel once its shutdown ended. It counts every connection open when
   * it began (taken before {@link #draining()} completes, so one that closes in reaction to it is
   * counted too) and those accepted until the listening channel closed; each is told of the
   * shutdown (HTTP/1.1 {@code Connection: close}, GOAWAY, close frame) as soon as the listening
   * channel's close began. The report comes once every channel it counts is closed, so {@link
   * #openConnections()} no longer lists them; it counts the requests refused because they arrived
   * on a connection already told to close ({@link ShutdownReport#refusedRequests()}). Never blocks:
   * usable from Spring's graceful-shutdown phase.
   *
   * @param server the bound server
   * @param how the server shutdown
   * @return the report
   */
  public Mono<ShutdownReport> shutdown(DisposableServer server, ServerShutdown how) {
    Objects.requireNonNull(server, "server");
    Objects.requireNonNull(how, "how");
    return Mono.defer(
        () -> {
          List<TrackedConnection> atStart = countThenStartDraining();
          ChannelFuture listenerClosed = server.channel().close();
          // announced as soon as the listener's close began, not once it ended (a busy loop can
          // take a while): a response going out meanwhile already says "Connection: close"
          atStart.forEach(t -> t.announce(how.scheduler()));
          return Mono.<Void>create(sink -> listenerClosed.addListener(f -> sink.success()))
              .then(
                  Mono.defer(
                      () -> {
                        // with those accepted until the listener closed; all counted before they
                        // are announced: a connection that the announcement ends (a WebSocket
                        // answering its close frame at once) is still in the report
                        Set<TrackedConnection> all = new LinkedHashSet<>(atStart);
                        all.addAll(open.values());
                        List<TrackedConnection> counted = List.copyOf(all);
                        counted.forEach(
                            t -> t.announce(how.scheduler())); // once each: again does nothing
                        List<ServerShutdown.Member> members = new ArrayList<>();
                        for (TrackedConnection t : counted) {
                          members.add(
                              ServerShutdown.Member.of(
                                  new ClosingConnection(t.connection(), t.channel()), t.idle()));
                        }
                        return how.run(Mono.empty(), members)
                            .map(
                                r ->
                                    r.withRefusedRequests(
                                        counted.stream()
                                            .mapToLong(TrackedConnection::refusedRequests)
                                            .sum()));
                      }));
        });
  }

  /**
   * G5: the connections open when the shutdown begins, counted before draining is signalled, so
   * that one that ends in reaction to it (a WebSocket or a stream closing itself) is still in the
   * report.
   */
  private List<TrackedConnection> countThenStartDraining() {
    List<TrackedConnection> atStart = List.copyOf(open.values());
    startDraining();
    return atStart;
  }

  /**
   * G10: {@code server} as a {@link GracefulShutdown}, shut down by the same policy object as
   * graceful's TLS, DTLS and QUIC servers and reported the same way. Its {@code shutdown(how)} is
   * {@link #shutdown(DisposableServer, ServerShutdown)}, run once: later subscriptions observe the
   * first one's report. Its {@code isShuttingDown()} is true once that shutdown was subscribed.
   *
   * @param server a server bound with this tracker {@linkplain #install installed}
   * @return the server's graceful shutdown
   */
  public GracefulShutdown bound(DisposableServer server) {
    Objects.requireNonNull(server, "server");
    return new BoundServer(this, server);
  }

  private void startDraining() {
    if (drainingStarted.compareAndSet(false, true)) {
      draining.tryEmitEmpty();
    }
  }
}
