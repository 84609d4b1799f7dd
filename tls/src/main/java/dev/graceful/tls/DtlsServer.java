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
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Scheduler;

/**
 * A DTLS server on one UDP socket: datagrams are demultiplexed by the peer's address, a datagram
 * that opens a handshake from a new address starts a connection, and handshaken connections are
 * emitted. Everything runs on one loop.
 *
 * <p>The server knows its open connections and shuts them all down by one {@link ServerShutdown}
 * ({@link #shutdown}); as with {@link TlsServer}, a connection is idle unless the application marks
 * work on it with {@link #track}. T14: the peer's close_notify can be lost, and a server shutdown
 * always has a deadline, which bounds every wait for it.
 */
public final class DtlsServer implements GracefulShutdown {
  private static final System.Logger LOG = System.getLogger(DtlsServer.class.getName());

  private final DatagramChannel channel;
  private final SelectorLoop loop;
  private final SSLContext context;
  private final Consumer<SSLEngine> configure;
  private final Scheduler timer;
  private final InetSocketAddress address;
  private final Map<SocketAddress, PeerTransport> peers = new HashMap<>();
  private final Sinks.Many<TlsConnection> accepted = Sinks.many().unicast().onBackpressureBuffer();
  private final ByteBuffer rx = ByteBuffer.allocate(DatagramTransport.MAX_DATAGRAM);
  private SelectionKey key;
  private volatile boolean accepting = true;

  /** Handshakes under way; the connections Flux completes after the last one once not accepting. */
  private final AtomicInteger handshaking = new AtomicInteger();

  private final java.util.concurrent.atomic.AtomicLong handshakeFailures =
      new java.util.concurrent.atomic.AtomicLong();
  private final Duration handshakeTimeout;

  /**
   * The handshake deadline of {@link #bind(InetSocketAddress, SSLContext, LoopGroup, Consumer,
   * Scheduler)}: 30 s, since DTLS retransmits a lost flight after 1, 2, 4 and 8 s, and a lossy path
   * should get through four losses in a row.
   */
  public static final Duration DEFAULT_HANDSHAKE_TIMEOUT = Duration.ofSeconds(30);

  private final Sinks.Empty<Void> handshakesSettled = Sinks.empty();
  private final OpenConnections open = new OpenConnections();
  private final SharedShutdown shutdown = new SharedShutdown(this::run);

  private DtlsServer(
      DatagramChannel channel,
      SelectorLoop loop,
      SSLContext context,
      Consumer<SSLEngine> configure,
      TlsServerOptions options)
      throws IOException {
    this.channel = channel;
    this.loop = loop;
    this.context = context;
    this.configure = configure;
    this.timer = options.scheduler();
    this.handshakeTimeout = options.handshakeTimeoutOr(DEFAULT_HANDSHAKE_TIMEOUT);
    this.address = (InetSocketAddress) channel.getLocalAddress();
  }

  /**
   * @param bind the address (port 0 for an ephemeral port)
   * @param context a "DTLS" server context
   * @param loops the server and every connection of it live on one loop of this group
   * @param configure adjusts each engine
   * @param timer where handshake retransmission timers and handshake deadlines run
   * @return the listening server, whose handshakes must complete within {@link
   *     #DEFAULT_HANDSHAKE_TIMEOUT}
   */
  public static Mono<DtlsServer> bind(
      InetSocketAddress bind,
      SSLContext context,
      LoopGroup loops,
      Consumer<SSLEngine> configure,
      Scheduler timer) {
    Objects.requireNonNull(timer, "timer");
    return bind(bind, context, loops, configure, TlsServerOptions.defaults().scheduler(timer));
  }

  /**
   * As {@link #bind(InetSocketAddress, SSLContext, LoopGroup, Consumer, Scheduler)}, with {@code
   * options}: a peer whose handshake has not completed within the deadline the options set ({@link
   * #DEFAULT_HANDSHAKE_TIMEOUT} unless they set one) of its first ClientHello (one that vanished
   * half way, or a spoofed source that never answers) is dropped, nothing sent, and counted in
   * {@link #handshakeFailures()}; retransmission timers and deadlines run on {@code
   * options.scheduler()}.
   *
   * @param bind the address (port 0 for an ephemeral port)
   * @param context a "DTLS" server context
   * @param loops the server and every connection of it live on one loop of this group
   * @param configure adjusts each engine
   * @param options the handshake deadline and the scheduler of every timer
   * @return the listening server
   */
  public static Mono<DtlsServer> bind(
      InetSocketAddress bind,
      SSLContext context,
      LoopGroup loops,
      Consumer<SSLEngine> configure,
      TlsServerOptions options) {
    Objects.requireNonNull(bind, "bind");
    Objects.requireNonNull(context, "context");
    Objects.requireNonNull(loops, "loops");
    Objects.requireNonNull(configure, "configure");
    Objects.requireNonNull(options, "options");
    return Mono.create(
        sink -> {
          SelectorLoop loop = SelectorLoops.next(loops);
          DtlsServer server;
          try {
            DatagramChannel ch = DatagramChannel.open();
            ch.configureBlocking(false);
            ch.bind(bind);
            server = new DtlsServer(ch, loop, context, configure, options);
          } catch (IOException e) {
            sink.error(e);
            return;
          }
          loop.execute(
              () -> {
                try {
                  server.key = loop.register(server.channel, k -> server.ready());
                  server.key.interestOps(SelectionKey.OP_READ);
                  sink.success(server);
                } catch (IOException e) {
                  sink.error(e);
                }
              });
        });
  }

  /**
   * @return handshaken connections, for one subscriber; completes after {@link #stopAccepting()}
   *     once every handshake that was under way then has settled
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

  SelectorLoop loop() {
    return loop;
  }

  /**
   * G1: stops accepting new peers; open connections keep working until released.
   *
   * @return completes when applied
   */
  public Mono<Void> stopAccepting() {
    return Mono.create(
        sink ->
            loop.execute(
                () -> {
                  endAccepting();
                  sink.success();
                }));
  }

  /**
   * Loop thread: no new peers; the connections Flux completes once handshakes under way settled.
   */
  private void endAccepting() {
    accepting = false;
    if (handshaking.get() == 0) {
      settledAll();
    }
  }

  private void settledAll() {
    synchronized (accepted) {
      accepted.tryEmitComplete();
    }
    handshakesSettled.tryEmitEmpty();
  }

  /** One handshake settled: once not accepting, the last one completes the Flux. */
  private void settled() {
    if (handshaking.decrementAndGet() == 0 && !accepting) {
      settledAll();
    }
  }

  /**
   * Closes the socket; connections on it can no longer send or receive.
   *
   * @return completes when closed
   */
  public Mono<Void> close() {
    return Mono.create(
        sink ->
            loop.execute(
                () -> {
                  endAccepting();
                  for (PeerTransport p : Map.copyOf(peers).values()) {
                    p.close();
                  }
                  if (key != null) {
                    key.cancel();
                  }
                  try {
                    channel.close();
                  } catch (IOException e) {
                    LOG.log(System.Logger.Level.WARNING, "closing DTLS socket failed", e);
                  }
                  sink.success();
                }));
  }

  int sendTo(ByteBuffer src, SocketAddress peer) throws IOException {
    return channel.send(src, peer);
  }

  void wantWrite() {
    if (key != null && key.isValid()) {
      key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
    }
  }

  void forget(SocketAddress peer, PeerTransport transport) {
    peers.remove(peer, transport);
  }

  private void ready() {
    if (key.isValid() && key.isWritable()) {
      key.interestOps(SelectionKey.OP_READ);
      for (PeerTransport p : Map.copyOf(peers).values()) {
        p.writable();
      }
    }
    if (key.isValid() && key.isReadable()) {
      drain();
    }
  }

  private void drain() {
    if (!channel.isOpen()) {
      return;
    }
    for (int i = 0; i < 64; i++) { // bounded per wake-up, so other work on the loop runs
      rx.clear();
      SocketAddress from;
      try {
        from = channel.receive(rx);
      } catch (IOException e) {
        LOG.log(System.Logger.Level.DEBUG, "receive failed: " + e.getMessage());
        return;
      }
      if (from == null) {
        return;
      }
      rx.flip();
      ByteBuffer datagram = ByteBuffer.allocate(rx.remaining()).put(rx).flip();
      PeerTransport peer = peers.get(from);
      if (peer == null) {
        if (!accepting || !opensHandshake(datagram)) {
          continue; // a stray record for a connection that is gone: RFC 6347 says drop it
        }
        peer = new PeerTransport(this, from);
        peers.put(from, peer);
        start(peer);
      }
      peer.deliver(datagram);
    }
    loop.execute(this::drain); // more may be waiting: continue after other tasks
  }

  /** A DTLS handshake record of epoch 0 (a ClientHello): content type 22, epoch bytes 0. */
  private static boolean opensHandshake(ByteBuffer d) {
    return d.remaining() > 13 && d.get(0) == 22 && d.get(3) == 0 && d.get(4) == 0;
  }

  private void start(PeerTransport transport) {
    SSLEngine ssl = context.createSSLEngine();
    ssl.setUseClientMode(false);
    configure.accept(ssl);
    TlsConnection c = TlsConnection.over(transport, ssl, context);
    handshaking.incrementAndGet();
    c.handshake(timer)
        .timeout(handshakeTimeout, timer)
        .subscribe(
            ready -> {
              open.add(ready);
              synchronized (accepted) { // retransmission timers and the loop may both settle one
                accepted.tryEmitNext(ready);
              }
              settled();
            },
            e -> {
              try {
                handshakeFailures.incrementAndGet();
                LOG.log(
                    System.Logger.Level.DEBUG,
                    () ->
                        e instanceof java.util.concurrent.TimeoutException
                            ? "no DTLS handshake within " + handshakeTimeout + ": peer dropped"
                            : "DTLS handshake failed: " + e.getMessage());
                try {
                  loop.execute(transport::close);
                } catch (java.util.concurrent.RejectedExecutionException stopped) {
                  transport.close(); // the loop has stopped: nothing else touches the peer now
                }
              } finally {
                settled();
              }
            });
  }

  /**
   * @return handshakes that failed or met their deadline since the server started
   */
  public long handshakeFailures() {
    return handshakeFailures.get();
  }

  /**
   * @return the handshaken connections whose transport graceful has not closed yet
   */
  public Set<TlsConnection> openConnections() {
    return open.snapshot();
  }

  /**
   * G2: as {@link TlsServer#track}: {@code exchange} counts as in flight on {@code connection} from
   * subscription until it terminates or is cancelled, and a {@link #shutdown} lets it finish within
   * its grace period. On a connection this server does not hold, it runs uncounted.
   *
   * @param connection one of this server's connections
   * @param exchange the work
   * @return {@code exchange}, counted
   */
  public Mono<Void> track(TlsConnection connection, Mono<Void> exchange) {
    return open.track(connection, exchange);
  }

  /**
   * G1–G5, G10 over DTLS: stops accepting new peers (handshakes under way settle first, within the
   * deadline), lets tracked work finish within the grace period, shuts every open connection down
   * by {@code how}, forces the stragglers at the deadline (T14: waiting for a close_notify that may
   * be lost never outlasts it), releases every connection it counted and closes the UDP socket,
   * then reports. Once: see {@link GracefulShutdown}.
   *
   * @param how the server shutdown
   * @return the report, once the socket is closed
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
    return open.shutDown(how, stopAccepting().then(handshakesSettled.asMono()), close());
  }
}
