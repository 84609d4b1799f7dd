package dev.graceful.quic;

import dev.graceful.core.LoopGroup;
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
 * {@link QuicConnection} on one of the group's loops, with the streams its peer opens adopted (so
 * a shutdown drains what the server wrote on them). {@link #stopAccepting()} makes the server
 * refuse new connections (a transport CONNECTION_CLOSE with CONNECTION_REFUSED) while the open ones
 * continue.
 */
public final class QuicServer implements AutoCloseable {
  /** Reason sent to connections arriving after {@link #stopAccepting()}. */
  public static final String REFUSED_REASON = "server is shutting down";

  /** One accepted connection and the streams its peer opens, in the order Kwik hands them over. */
  public record Accepted(QuicConnection connection, Flux<QuicStreamHandle> peerStreams) {}

  private final ServerConnector connector;
  private final Set<QuicConnection> open = ConcurrentHashMap.newKeySet();
  private final Sinks.Many<Accepted> accepted = Sinks.many().unicast().onBackpressureBuffer();
  private final AtomicLong count = new AtomicLong();
  private volatile boolean refusing;
  private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

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
  public static QuicServer start(ServerConnector connector, String alpn, LoopGroup loops, QuicOptions options) {
    Objects.requireNonNull(loops, "loops");
    Objects.requireNonNull(options, "options");
    QuicServer server = new QuicServer(Objects.requireNonNull(connector, "connector"), options);
    connector.registerApplicationProtocol(Objects.requireNonNull(alpn, "alpn"), (protocol, kwik) -> server.accept(kwik, loops));
    connector.start();
    return server;
  }

  /** Kwik's thread: a new connection completed its handshake. */
  private ApplicationProtocolConnection accept(tech.kwik.core.QuicConnection kwik, LoopGroup loops) {
    if (refusing) {
      // RFC 9000 §20.1: CONNECTION_REFUSED, "the server refused to accept a new connection"
      kwik.close(tech.kwik.core.QuicConstants.TransportErrorCode.CONNECTION_REFUSED, REFUSED_REASON);
      return new ApplicationProtocolConnection() {};
    }
    QuicConnection c = QuicConnection.of(kwik, loops.next(), "quic-server#" + count.incrementAndGet(), options);
    // so that a drain notices when nothing from the peer is processed any more: Kwik calls this
    // on the connection's own receive thread
    dev.graceful.quic.internal.KwikInternals.serverReceiveThread(Thread.currentThread()).ifPresent(c::receiveThread);
    Sinks.Many<QuicStreamHandle> streams = Sinks.many().unicast().onBackpressureBuffer();
    open.add(c);
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
        c.adopt(stream).subscribe(h -> emit(streams, h));
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

  /** @return every accepted connection, once; a single subscriber, buffered until it comes */
  public Flux<Accepted> connections() {
    return accepted.asFlux();
  }

  /** @return the connections that have not ended yet */
  public Set<QuicConnection> openConnections() {
    return Set.copyOf(open);
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
   * G1–G6 for QUIC: stops accepting, shuts every open connection down by {@code how} (its policy
   * is typically {@code ShutdownSpec.bidirectional()}: drain, then an RFC close), forces the
   * stragglers, then closes Kwik's server.
   *
   * @param how the server shutdown
   * @return the report, once every connection ended and the server is closed
   */
  public Mono<dev.graceful.core.ShutdownReport> shutdown(dev.graceful.core.ServerShutdown how) {
    return Mono.defer(
        () ->
            how.run(
                    stopAccepting(),
                    openConnections().stream().map(dev.graceful.core.ServerShutdown.Member::of).toList())
                .flatMap(
                    report ->
                        // Kwik's close waits for its connections to finish closing: never on a loop
                        Mono.fromRunnable(this::close)
                            .subscribeOn(QuicConnection.KWIK_CALLS)
                            .thenReturn(report)));
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
