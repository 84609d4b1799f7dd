package dev.graceful.quic;

import dev.graceful.core.GracefulShutdown;
import dev.graceful.core.LoopGroup;
import dev.graceful.core.ServerShutdown;
import dev.graceful.core.ShutdownReport;
import dev.graceful.core.spi.InFlight;
import dev.graceful.core.spi.SharedShutdown;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import tech.kwik.core.server.ApplicationProtocolConnection;
import tech.kwik.core.server.ServerConnector;

/**
 * A Kwik {@link ServerConnector} whose connections graceful tracks: every accepted connection is a
 * {@link QuicConnection} on one of the group's loops, with the streams its peer opens adopted (so a
 * shutdown drains what the server wrote on them). {@link #stopAccepting()} makes the server refuse
 * new connections (a transport CONNECTION_CLOSE with CONNECTION_REFUSED) while the open ones
 * continue.
 *
 * <p>What is in flight (G2): a request stream, that is a bidirectional stream the peer opened, from
 * its arrival until the server's side of it is over (concluded with FIN by {@link
 * QuicStreamHandle#conclude()} or reset by {@link QuicStreamHandle#reset(long)}), as an HTTP/3
 * response ends its request; and any unit of work the application marks with {@link #track}.
 * Unidirectional peer streams are not exchanges (HTTP/3 keeps its control streams open for the
 * connection's life), nor are streams the server opens. A connection that terminates is no longer
 * in flight, whatever its streams. A {@link #shutdown} waits for in-flight connections within its
 * grace period; idle ones are shut down at once.
 */
public final class QuicServer implements AutoCloseable, GracefulShutdown {
  /** Reason sent to connections arriving after {@link #stopAccepting()}. */
  public static final String REFUSED_REASON = "server is shutting down";

  /** One accepted connection and the streams its peer opens, in the order Kwik hands them over. */
  public record Accepted(QuicConnection connection, Flux<QuicStreamHandle> peerStreams) {
    /** Checks that both are present. */
    public Accepted {
      Objects.requireNonNull(connection, "connection");
      Objects.requireNonNull(peerStreams, "peerStreams");
    }
  }

  private final ServerConnector connector;
  private final Map<QuicConnection, InFlight> open = new ConcurrentHashMap<>();
  private final SharedShutdown shutdown = new SharedShutdown(this::run);
  private final Sinks.Many<Accepted> accepted = Sinks.many().unicast().onBackpressureBuffer();
  private final AtomicLong count = new AtomicLong();
  private volatile boolean refusing;
  private final java.util.concurrent.atomic.AtomicBoolean closed =
      new java.util.concurrent.atomic.AtomicBoolean();

  private final QuicOptions options;

  private QuicServer(ServerConnector connector, QuicOptions options) {
    this.connector = connector;
    this.options = options;
  }

  /**
   * Registers {@code alpn} on {@code connector} and starts it.
   *
   * @param connector a Kwik server, not started
   * @param alpn the application protocol to serve
   * @param loops where each connection's shutdown runs, one loop per connection in turn
   * @return the running server
   */
  public static QuicServer start(ServerConnector connector, String alpn, LoopGroup loops) {
    return start(connector, alpn, loops, QuicOptions.defaults());
  }

  /**
   * As {@link #start(ServerConnector, String, LoopGroup)}, wrapping each connection with {@code
   * options}.
   *
   * @param connector a Kwik server, not started
   * @param alpn the application protocol to serve
   * @param loops where each connection's shutdown runs, one loop per connection in turn
   * @param options how each accepted connection is wrapped
   * @return the running server
   */
  public static QuicServer start(
      ServerConnector connector, String alpn, LoopGroup loops, QuicOptions options) {
    Objects.requireNonNull(loops, "loops");
    Objects.requireNonNull(options, "options");
    QuicServer server = new QuicServer(Objects.requireNonNull(connector, "connector"), options);
    connector.registerApplicationProtocol(
        Objects.requireNonNull(alpn, "alpn"), (protocol, kwik) -> server.accept(kwik, loops));
    connector.start();
    return server;
  }

  /** Kwik's thread: a new connection completed its handshake. */
  private ApplicationProtocolConnection accept(
      tech.kwik.core.QuicConnection kwik, LoopGroup loops) {
    if (refusing) {
      // RFC 9000 §20.1: CONNECTION_REFUSED, "the server refused to accept a new connection"
      kwik.close(
          tech.kwik.core.QuicConstants.TransportErrorCode.CONNECTION_REFUSED, REFUSED_REASON);
      return new ApplicationProtocolConnection() {};
    }
    QuicConnection c =
        QuicConnection.of(kwik, loops, "quic-server#" + count.incrementAndGet(), options);
    // so that a drain notices when nothing from the peer is processed any more: Kwik calls this
    // on the connection's own receive thread
    dev.graceful.quic.internal.KwikInternals.serverReceiveThread(Thread.currentThread())
        .ifPresent(c::receiveThread);
    Sinks.Many<QuicStreamHandle> streams = Sinks.many().unicast().onBackpressureBuffer();
    InFlight inFlight = new InFlight();
    open.put(c, inFlight);
    c.ended()
        .subscribe(
            null,
            null,
            () -> {
              open.remove(c);
              emit(streams, null);
            });
    emit(accepted, new Accepted(c, streams.asFlux()));
    return new ApplicationProtocolConnection() {
      @Override
      public void acceptPeerInitiatedStream(tech.kwik.core.QuicStream stream) {
        if (!stream.isBidirectional()) {
          c.adopt(stream).subscribe(h -> emit(streams, h));
          return;
        }
        // a request: in flight from now (before the hop to the loop, so a shutdown starting
        // meanwhile already waits for it) until the server's side of the stream is over
        inFlight.begin();
        c.adopt(stream)
            .subscribe(
                h -> {
                  h.outputEnded().subscribe(null, null, inFlight::end);
                  emit(streams, h);
                },
                e -> inFlight.end());
      }
    };
  }

  /** Kwik calls back on several threads; a sink takes one emission at a time. */
  private static <T> void emit(Sinks.Many<T> sink, T value) {
    synchronized (sink) {
      if (value == null) {
        sink.tryEmitComplete();
      } else {
        sink.tryEmitNext(value);
      }
    }
  }

  /**
   * @return every accepted connection, once; a single subscriber, buffered until it comes
   */
  public Flux<Accepted> connections() {
    return accepted.asFlux();
  }

  /**
   * @return the connections that have not ended yet
   */
  public Set<QuicConnection> openConnections() {
    return Set.copyOf(open.keySet());
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
  public Mono<Void> track(QuicConnection connection, Mono<Void> exchange) {
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
          emit(accepted, null);
        });
  }

  /**
   * G1–G6, G10 for QUIC: stops accepting, lets in-flight requests and tracked work finish within
   * the grace period (G2; see the class description), shuts every open connection down by {@code
   * how} (its policy is typically {@code ShutdownSpec.bidirectional()}: drain, then an RFC close),
   * forces the stragglers at the deadline, then closes Kwik's server. Once: see {@link
   * GracefulShutdown}.
   *
   * @param how the server shutdown
   * @return the report, once every connection ended and the server is closed
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
              // a connection that terminates is idle, whatever its streams
              open.forEach(
                  (c, inFlight) ->
                      members.add(
                          ServerShutdown.Member.of(
                              c, Mono.firstWithSignal(inFlight.idle(), c.ended()))));
              return members;
            })
        .flatMap(
            report ->
                // Kwik's close waits for its connections to finish closing: never on a loop
                Mono.fromRunnable(this::close)
                    .subscribeOn(QuicConnection.KWIK_CALLS)
                    .thenReturn(report));
  }

  /**
   * Closes Kwik's server: its socket, and an immediate close of any connection still open. Kwik
   * waits here (up to its own timeout) for its connections to finish closing: call it off any loop.
   * Idempotent.
   */
  @Override
  public void close() {
    refusing = true;
    emit(accepted, null);
    if (closed.compareAndSet(false, true)) {
      connector.close();
    }
  }
}
