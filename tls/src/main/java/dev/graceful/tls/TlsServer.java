package dev.graceful.tls;

import dev.graceful.core.GracefulShutdown;
import dev.graceful.core.LoopGroup;
import dev.graceful.core.ServerShutdown;
import dev.graceful.core.ShutdownReport;
import dev.graceful.core.spi.SelectorLoops;
import dev.graceful.core.spi.SharedShutdown;
import dev.graceful.core.spi.loop.SelectorLoop;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * A listening TLS server: accepts on one loop, spreads connections over the group, handshakes each
 * on its own loop, and emits it. Handshake failures are counted and the socket is closed; so is a
 * socket whose handshake has not completed within the handshake deadline ({@link
 * TlsServerOptions#handshakeTimeout}, 10 s by default), such as a client that connects and sends
 * nothing. When accepting fails (the process ran out of file descriptors), the server stops
 * selecting for accepts for a pause that grows while it keeps failing, and logs once per episode.
 *
 * <p>The server knows its open connections (from the handshake until graceful closes their
 * transport) and shuts them all down by one {@link ServerShutdown} ({@link #shutdown}). TLS has no
 * exchanges of its own: a connection is idle unless the application marks a unit of work on it with
 * {@link #track}, which the grace period (G2) then lets finish.
 */
public final class TlsServer implements GracefulShutdown {
  private static final System.Logger LOG = System.getLogger(TlsServer.class.getName());

  /**
   * Handshakes settle on several loops at once: emissions into the one sink take turns, each
   * retrying for up to a second. A fresh handler per emission: a busy-looping handler's deadline
   * starts when it is made.
   */
  private static Sinks.EmitFailureHandler turns() {
    return Sinks.EmitFailureHandler.busyLooping(java.time.Duration.ofSeconds(1));
  }

  private final ServerSocketChannel listener;
  private final SelectorLoop acceptLoop;
  private final LoopGroup loops;
  private final SSLContext context;
  private final Consumer<SSLEngine> configure;
  private final Sinks.Many<TlsConnection> accepted = Sinks.many().unicast().onBackpressureBuffer();
  private final InetSocketAddress address;
  private final java.util.concurrent.atomic.LongAdder handshakeFailures =
      new java.util.concurrent.atomic.LongAdder();

  /**
   * Accepted sockets whose handshake has not settled yet; {@link #accepted} completes after them.
   */
  private final java.util.concurrent.atomic.AtomicInteger handshaking =
      new java.util.concurrent.atomic.AtomicInteger();

  private volatile boolean stopped;
  private final Sinks.Empty<Void> handshakesSettled = Sinks.empty();
  private final OpenConnections open = new OpenConnections();
  private final SharedShutdown shutdown = new SharedShutdown(this::run);
  private final TlsServerOptions options;
  private final PendingHandshakes pending;
  private final AcceptPauses pauses;
  private SelectionKey key;

  private TlsServer(
      ServerSocketChannel listener,
      LoopGroup loops,
      SSLContext context,
      Consumer<SSLEngine> configure,
      TlsServerOptions options)
      throws IOException {
    this.listener = listener;
    this.loops = loops;
    this.acceptLoop = SelectorLoops.next(loops);
    this.context = context;
    this.configure = configure;
    this.options = options;
    this.pending = new PendingHandshakes(options);
    this.address = (InetSocketAddress) listener.getLocalAddress();
    this.pauses = new AcceptPauses(acceptLoop, options.scheduler(), address.toString());
  }

  /**
   * Binds and starts accepting.
   *
   * @param bind the address (port 0 for an ephemeral port)
   * @param context the server context
   * @param loops the loops connections are spread over
   * @param configure adjusts each engine (protocols, client auth)
   * @return the listening server
   */
  public static Mono<TlsServer> bind(
      InetSocketAddress bind, SSLContext context, LoopGroup loops, Consumer<SSLEngine> configure) {
    return bind(bind, context, loops, configure, TlsServerOptions.defaults());
  }

  /**
   * As {@link #bind(InetSocketAddress, SSLContext, LoopGroup, Consumer)}, with {@code options}.
   *
   * @param bind the address (port 0 for an ephemeral port)
   * @param context the server context
   * @param loops the loops connections are spread over
   * @param configure adjusts each engine (protocols, client auth)
   * @param options the handshake deadline and where the server's timers run
   * @return the listening server
   */
  public static Mono<TlsServer> bind(
      InetSocketAddress bind,
      SSLContext context,
      LoopGroup loops,
      Consumer<SSLEngine> configure,
      TlsServerOptions options) {
    Objects.requireNonNull(options, "options");
    Objects.requireNonNull(bind, "bind");
    Objects.requireNonNull(context, "context");
    Objects.requireNonNull(loops, "loops");
    Objects.requireNonNull(configure, "configure");
    return Mono.create(
        sink -> {
          TlsServer server;
          ServerSocketChannel ch = null;
          try {
            ch = ServerSocketChannel.open();
            ch.configureBlocking(false);
            ch.bind(bind, 4096);
            server = new TlsServer(ch, loops, context, configure, options);
          } catch (IOException e) {
            closeQuietly(ch);
            sink.error(e);
            return;
          }
          server.acceptLoop.execute(
              () -> {
                try {
                  server.key = server.acceptLoop.register(server.listener, k -> server.acceptAll());
                  server.pauses.prepare(server.key);
                  server.key.interestOps(SelectionKey.OP_ACCEPT);
                  sink.success(server);
                } catch (IOException e) {
                  sink.error(e);
                }
              });
        });
  }

  private static void closeQuietly(java.nio.channels.Channel ch) {
    if (ch != null) {
      try {
        ch.close();
      } catch (IOException ignored) {
        // nothing more to do
      }
    }
  }

  private void acceptAll() {
    for (; ; ) {
      SocketChannel ch;
      try {
        ch = listener.accept();
      } catch (IOException e) {
        pauses.failed(e); // out of file descriptors, say: pause rather than spin
        return;
      }
      if (ch == null) {
        return;
      }
      pauses.succeeded();
      SelectorLoop loop = SelectorLoops.next(loops);
      handshaking.incrementAndGet();
      try {
        loop.execute(() -> start(ch, loop));
      } catch (java.util.concurrent.RejectedExecutionException gone) {
        closeQuietly(ch); // that loop is shut down: nobody could serve the socket
        settled();
      }
    }
  }

  private void start(SocketChannel ch, SelectorLoop loop) {
    ChannelTransport transport;
    try {
      ch.setOption(java.net.StandardSocketOptions.TCP_NODELAY, true); // records are written whole
      transport = new ChannelTransport(ch, loop);
    } catch (IOException e) {
      TlsConnection.closeQuietly(ch);
      settled();
      return;
    }
    PendingHandshakes.Pending p =
        pending.add(
            transport,
            loop,
            () -> {
              handshakeFailures.increment();
              settled();
            });
    if (p.isOver()) {
      return; // aborted at once
    }
    TlsConnection c;
    try {
      SSLEngine ssl = context.createSSLEngine();
      ssl.setUseClientMode(false);
      configure.accept(ssl);
      c = TlsConnection.over(transport, ssl, context);
    } catch (RuntimeException e) { // the application's configure, or the context, failed
      if (p.end()) {
        handshakeFailures.increment();
        LOG.log(
            System.Logger.Level.WARNING, "cannot make an engine for " + transport.describe(), e);
        transport.close();
        settled();
      }
      return;
    }
    p.handshake(
        c.handshake()
            .subscribe(
                ready -> {
                  if (!p.end()) {
                    return; // aborted meanwhile: its socket is closed
                  }
                  try {
                    open.add(ready);
                    accepted.emitNext(ready, turns());
                  } catch (Sinks.EmissionException e) { // held up for a second by the other loops
                    LOG.log(
                        System.Logger.Level.WARNING,
                        "could not hand over a handshaken connection",
                        e);
                    open.remove(ready);
                    closeOnLoop(loop, transport);
                  } finally {
                    settled();
                  }
                },
                e -> {
                  if (!p.end()) {
                    return;
                  }
                  try {
                    handshakeFailures.increment();
                    LOG.log(System.Logger.Level.DEBUG, "handshake failed: " + e.getMessage());
                    closeOnLoop(loop, transport);
                  } finally {
                    settled();
                  }
                }));
  }

  /** Closes on the loop; on a loop that has stopped, here: nothing else can touch it any more. */
  private static void closeOnLoop(SelectorLoop loop, ChannelTransport transport) {
    try {
      loop.execute(transport::close);
    } catch (java.util.concurrent.RejectedExecutionException stopped) {
      transport.close();
    }
  }

  /** One handshake settled: after {@link #stopAccepting()}, the last one completes the flux. */
  private void settled() {
    if (handshaking.decrementAndGet() == 0 && stopped) {
      accepted.emitComplete(turns());
      handshakesSettled.tryEmitEmpty();
    }
  }

  /**
   * @return the handshaken connections, for one subscriber; completes after {@link
   *     #stopAccepting()} once every handshake that was under way then has settled (each one that
   *     succeeds is still emitted, so no accepted socket is left open and unowned)
   */
  public Flux<TlsConnection> connections() {
    return accepted.asFlux();
  }

  /**
   * @return the bound address
   */
  public InetSocketAddress address() {
    return address;
  }

  /**
   * @return handshakes that failed so far
   */
  public long handshakeFailures() {
    return handshakeFailures.sum();
  }

  /**
   * G1: stops accepting. Open connections are untouched; handshakes under way finish and their
   * connections are still emitted, or are closed at their handshake deadline.
   *
   * @return completes when the listener is closed
   */
  public Mono<Void> stopAccepting() {
    return Mono.create(
        sink ->
            acceptLoop.execute(
                () -> {
                  try {
                    pauses.stop();
                    if (key != null) {
                      acceptLoop.deregister(key);
                    }
                    listener.close();
                  } catch (IOException e) {
                    LOG.log(System.Logger.Level.WARNING, "closing listener failed", e);
                  }
                  stopped = true;
                  if (handshaking.get() == 0) {
                    accepted.emitComplete(turns());
                    handshakesSettled.tryEmitEmpty();
                  }
                  sink.success();
                }));
  }

  /**
   * @return the handshaken connections whose transport graceful has not closed yet
   */
  public Set<TlsConnection> openConnections() {
    return open.snapshot();
  }

  /**
   * G2: counts {@code exchange}, a unit of work the application marks on {@code connection} (a
   * message being answered, a session's last words), as in flight from subscription until it
   * terminates or is cancelled. A {@link #shutdown} lets such work finish within its grace period
   * before it shuts the connection down; a connection without any is idle and shut down at once. On
   * a connection this server does not hold (or no longer holds), {@code exchange} runs uncounted.
   *
   * @param connection one of this server's connections
   * @param exchange the work
   * @return {@code exchange}, counted
   */
  public Mono<Void> track(TlsConnection connection, Mono<Void> exchange) {
    return open.track(connection, exchange);
  }

  /**
   * G1–G5, G10: stops accepting (handshakes under way settle first, within the deadline, and their
   * connections are counted too; a socket that has not sent a hello yet has no TLS session to end
   * and is closed at once, with nothing sent), lets tracked work finish within the grace period,
   * shuts every open connection down by {@code how} on its own loop, forces the stragglers at the
   * deadline, then releases every connection it counted (closing its socket; T9: a session stays
   * resumable when its close_notify was sent), closes any socket whose handshake is still under
   * way, and reports. Once: see {@link GracefulShutdown}.
   *
   * @param how the server shutdown
   * @return the report
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
    return open.shutDown(
        how,
        // a socket that has not sent a hello has no TLS session to end: it is closed at once,
        // while handshakes under way settle (G1), within the handshake deadline
        stopAccepting().then(pending.closeSilent()).then(handshakesSettled.asMono()),
        // a handshake still under way when the deadline gave up waiting leaves nothing open
        pending.abortAll("the server shut down before its TLS handshake completed: closed"));
  }
}
