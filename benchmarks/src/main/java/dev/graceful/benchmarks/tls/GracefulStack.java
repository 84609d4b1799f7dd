package dev.graceful.benchmarks.tls;

import dev.graceful.core.LoopGroup;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.tls.TlsConnection;
import dev.graceful.tls.TlsServer;
import dev.graceful.tls.TlsServerOptions;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import javax.net.ssl.SSLContext;
import reactor.core.publisher.Flux;

/**
 * graceful's {@link TlsServer} on {@code loops} selector loops; each connection's Mono subscribed.
 */
final class GracefulStack implements ServerStack {
  private static final ShutdownSpec BIDIRECTIONAL =
      ShutdownSpec.bidirectional().timeout(Duration.ofSeconds(60));
  private static final ShutdownSpec FAST = ShutdownSpec.bidirectional().fast();

  /** The same shutdowns without deadlines: what the deadlines cost ({@code graceful-untimed}). */
  private static final ShutdownSpec BIDIRECTIONAL_UNTIMED =
      ShutdownSpec.bidirectional().noTimeout();

  private static final ShutdownSpec FAST_UNTIMED = ShutdownSpec.bidirectional().fast().noTimeout();

  private final LoopGroup loops;
  private final TlsServer server;
  private final Queue<TlsConnection> connections = new ConcurrentLinkedQueue<>();

  /**
   * The same connections by the loop that owns them, filled as each is handshaken, so that the
   * measured span does not sort 10,000 connections first (the raw stack keeps its list as it goes).
   */
  private final Map<Executor, Queue<TlsConnection>> byLoop = new ConcurrentHashMap<>();

  private final boolean deadlines;

  /**
   * @param deadlines whether shutdowns carry deadlines (as they should; without, to measure them)
   */
  GracefulStack(
      InetSocketAddress bind,
      SSLContext context,
      String protocol,
      int loopCount,
      boolean deadlines) {
    this.deadlines = deadlines;
    loops = LoopGroup.create(loopCount);
    server =
        TlsServer.bind(
                bind,
                context,
                loops,
                e -> e.setEnabledProtocols(new String[] {protocol}),
                // handshakes are not what is measured: on a busy machine the clients' window of
                // handshakes in flight can take longer than the server's 10 s default
                TlsServerOptions.defaults().handshakeTimeout(Duration.ofSeconds(120)))
            .block(Duration.ofSeconds(10));
    server
        .connections()
        .subscribe(
            c -> {
              // grouped first: handshaken() counts the flat queue, and the shutdown may follow it
              byLoop
                  .computeIfAbsent(c.transport().executor(), l -> new ConcurrentLinkedQueue<>())
                  .add(c);
              connections.add(c);
            });
  }

  @Override
  public int port() {
    return server.address().getPort();
  }

  @Override
  public int handshaken() {
    return connections.size();
  }

  @Override
  public void shutdownAll(Mode mode, Start start, Completion completion) {
    ShutdownSpec spec =
        mode == Mode.FAST
            ? (deadlines ? FAST : FAST_UNTIMED)
            : (deadlines ? BIDIRECTIONAL : BIDIRECTIONAL_UNTIMED);
    if (start == Start.CALLER) {
      for (TlsConnection c : connections) {
        subscribe(c, spec, completion);
      }
      return;
    }
    // as an application on the loops would: subscribed on the loop that owns the connection
    byLoop.forEach(
        (loop, cs) ->
            loop.execute(
                () -> {
                  for (TlsConnection c : cs) {
                    subscribe(c, spec, completion);
                  }
                }));
  }

  /**
   * As an application would: subscribe and keep nothing. (The raw and Netty stacks keep nothing per
   * shutdown either; a shutdown still running at {@link #close()} ends when its connection is
   * released.)
   */
  private static void subscribe(TlsConnection c, ShutdownSpec spec, Completion completion) {
    c.shutdown(spec).subscribe(r -> completion.done(), completion::failed);
  }

  @Override
  public int sent() {
    int n = 0;
    for (TlsConnection c : connections) {
      if (c.shutdownState().sent()) {
        n++;
      }
    }
    return n;
  }

  @Override
  public void close() {
    server.stopAccepting().block(Duration.ofSeconds(10));
    Flux.fromIterable(connections)
        .flatMap(TlsConnection::release)
        .blockLast(Duration.ofSeconds(60));
    loops.shutdown().block(Duration.ofSeconds(10));
  }
}
