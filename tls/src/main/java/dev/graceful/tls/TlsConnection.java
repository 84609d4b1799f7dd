package dev.graceful.tls;

import dev.graceful.core.Inbound;
import dev.graceful.core.LoopGroup;
import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.core.ShutdownState;
import dev.graceful.core.Shutdownable;
import dev.graceful.core.spi.SelectorLoops;
import dev.graceful.core.spi.ShutdownCoordinator;
import dev.graceful.core.spi.loop.SelectorLoop;
import dev.graceful.tls.internal.LoopTask;
import dev.graceful.tls.internal.TlsEngine;
import dev.graceful.tls.internal.TlsEngine.Progress;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSession;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxSink;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * A TLS connection driven by a selector loop (or by hand over a {@link MemoryTransport}), with
 * OpenSSL's shutdown semantics. Its engine is confined to the transport's executor; every method
 * here may be called from any thread and hops there.
 */
public final class TlsConnection implements Shutdownable {
  private final TlsTransport transport;
  private final TlsEngine engine;
  private final ShutdownCoordinator coordinator;
  private volatile boolean released;

  private static final Executor ELASTIC = task -> Schedulers.boundedElastic().schedule(task);

  private TlsConnection(
      SSLEngine ssl, TlsTransport transport, SSLContext context, Executor delegatedTasks) {
    this.transport = transport;
    this.engine =
        new TlsEngine(
            ssl,
            new EngineTransport(transport),
            delegatedTasks,
            context.getProtocol().startsWith("DTLS"));
    this.coordinator = new ShutdownCoordinator(engine);
  }

  /**
   * A connection over any transport, not yet handshaken: call {@link #handshake()}.
   *
   * @param transport the byte pipe (a {@link MemoryTransport} for a BIO pair)
   * @param ssl a configured engine
   * @param context the context {@code ssl} came from (TLS or DTLS by its protocol)
   * @return the connection
   */
  public static TlsConnection over(TlsTransport transport, SSLEngine ssl, SSLContext context) {
    return over(transport, ssl, context, ELASTIC);
  }

  /**
   * As {@link #over(TlsTransport, SSLEngine, SSLContext)}, running the JDK engine's delegated tasks
   * (certificate validation, key agreement) on {@code delegatedTasks} instead of {@code
   * Schedulers.boundedElastic()}: for example the caller's own thread over a memory transport.
   *
   * @param transport the byte pipe
   * @param ssl a configured engine
   * @param context the context {@code ssl} came from
   * @param delegatedTasks where delegated tasks run; must not be a loop thread if they may block
   * @return the connection
   */
  public static TlsConnection over(
      TlsTransport transport, SSLEngine ssl, SSLContext context, Executor delegatedTasks) {
    return new TlsConnection(
        Objects.requireNonNull(ssl, "ssl"),
        Objects.requireNonNull(transport, "transport"),
        Objects.requireNonNull(context, "context"),
        Objects.requireNonNull(delegatedTasks, "delegatedTasks"));
  }

  /**
   * Connects, handshakes, and emits the ready connection. The server's certificate is verified
   * against the host of {@code address} ({@link HostnameVerification#defaults()}): endpoint
   * identification {@code "HTTPS"}, SNI from the host name, IP address entries for an IP address.
   * The engine is created with the peer's host and port so that sessions in {@code context} can be
   * resumed.
   *
   * <p>A handshake that fails errors with the JDK's {@link javax.net.ssl.SSLHandshakeException}
   * (for example "No subject alternative DNS name matching ... found" when the certificate is for
   * another host), its message and cause kept; a transport failure with an {@link IOException}.
   *
   * @param address where to connect
   * @param context the client context; its trust managers check the server's chain
   * @param loops the loop group; one loop is picked
   * @param configure adjusts the engine (protocols, parameters) before the handshake
   * @return a cold Mono of the handshaken connection
   */
  public static Mono<TlsConnection> connect(
      InetSocketAddress address,
      SSLContext context,
      LoopGroup loops,
      Consumer<SSLEngine> configure) {
    return connect(address, context, loops, HostnameVerification.defaults(), configure);
  }

  /**
   * As {@link #connect(InetSocketAddress, SSLContext, LoopGroup, Consumer)}, verifying the server
   * as {@code verification} says: against another name ({@link
   * HostnameVerification#serverName(String)}), or not at all ({@link
   * HostnameVerification#insecureSkipHostnameVerification()}).
   *
   * @param address where to connect
   * @param context the client context; its trust managers check the server's chain
   * @param loops the loop group; one loop is picked
   * @param verification the name checked and sent as SNI
   * @param configure adjusts the engine (protocols, parameters) before the handshake; it cannot
   *     turn host name verification off
   * @return a cold Mono of the handshaken connection
   */
  public static Mono<TlsConnection> connect(
      InetSocketAddress address,
      SSLContext context,
      LoopGroup loops,
      HostnameVerification verification,
      Consumer<SSLEngine> configure) {
    Objects.requireNonNull(address, "address");
    Objects.requireNonNull(context, "context");
    Objects.requireNonNull(loops, "loops");
    Objects.requireNonNull(verification, "verification");
    Objects.requireNonNull(configure, "configure");
    return Mono.defer(
        () -> {
          if (address.isUnresolved()) {
            return Mono.error(unknownHost(address));
          }
          SelectorLoop loop = SelectorLoops.next(loops);
          return Mono.<SocketChannel>create(
                  sink -> {
                    SocketChannel ch;
                    try {
                      ch = SocketChannel.open();
                      ch.configureBlocking(false);
                      ch.setOption(
                          java.net.StandardSocketOptions.TCP_NODELAY, true); // whole records
                    } catch (IOException e) {
                      sink.error(e);
                      return;
                    }
                    sink.onCancel(() -> closeQuietly(ch));
                    loop.execute(() -> startConnect(ch, address, loop, sink));
                  })
              .flatMap(
                  ch -> {
                    SSLEngine ssl;
                    try {
                      ssl = clientEngine(address, context, verification, configure);
                    } catch (RuntimeException e) {
                      closeQuietly(ch);
                      return Mono.error(e);
                    }
                    ChannelTransport transport;
                    try {
                      transport = new ChannelTransport(ch, loop);
                    } catch (IOException e) {
                      closeQuietly(ch);
                      return Mono.error(e);
                    }
                    TlsConnection c = new TlsConnection(ssl, transport, context, ELASTIC);
                    return c.handshake()
                        .doOnError(e -> c.engine.executor().execute(transport::close));
                  });
        });
  }

  private static void startConnect(
      SocketChannel ch,
      InetSocketAddress address,
      SelectorLoop loop,
      reactor.core.publisher.MonoSink<SocketChannel> sink) {
    try {
      if (ch.connect(address)) {
        sink.success(ch);
        return;
      }
      SelectionKey key =
          loop.register(
              ch,
              k -> {
                try {
                  if (ch.finishConnect()) {
                    k.interestOps(0);
                    sink.success(ch);
                  }
                } catch (IOException | RuntimeException e) {
                  // whatever ends the connect ends the Mono: nothing may be left to the loop's log
                  k.cancel();
                  closeQuietly(ch);
                  sink.error(e);
                }
              });
      key.interestOps(SelectionKey.OP_CONNECT);
    } catch (IOException | RuntimeException e) { // e.g. UnsupportedAddressTypeException
      closeQuietly(ch);
      sink.error(e);
    }
  }

  static void closeQuietly(SocketChannel ch) {
    try {
      ch.close();
    } catch (IOException ignored) {
      // nothing more to do
    }
  }

  /**
   * Runs the handshake on the connection's loop.
   *
   * @return this connection once handshaken
   */
  public Mono<TlsConnection> handshake() {
    return handshake(Schedulers.parallel());
  }

  /**
   * Runs the handshake; over DTLS, lost flights are retransmitted on {@code timer}'s clock.
   *
   * <p>A handshake that fails errors with an {@link javax.net.ssl.SSLHandshakeException}: the JDK
   * engine's own as it threw it (a certificate not trusted or for another host, a fatal alert from
   * the peer), or one saying how the peer ended the handshake; a transport failure errors with a
   * {@code TRANSPORT} {@link dev.graceful.core.ShutdownException}.
   *
   * @param timer where DTLS retransmission timers run (a virtual-time scheduler in tests)
   * @return this connection once handshaken
   */
  public Mono<TlsConnection> handshake(reactor.core.scheduler.Scheduler timer) {
    Objects.requireNonNull(timer, "timer");
    return LoopTask.handshake(engine, timer).thenReturn(this);
  }

  private static java.net.UnknownHostException unknownHost(InetSocketAddress address) {
    return new java.net.UnknownHostException(
        address.getHostString() + ": the host name did not resolve");
  }

  /** The client engine for {@code address}: created for the verified name, configured, verified. */
  private static SSLEngine clientEngine(
      InetSocketAddress address,
      SSLContext context,
      HostnameVerification verification,
      Consumer<SSLEngine> configure) {
    String peerHost = verification.peerHost(address);
    SSLEngine ssl = context.createSSLEngine(peerHost, address.getPort());
    ssl.setUseClientMode(true);
    configure.accept(ssl);
    verification.applyTo(ssl, peerHost);
    return ssl;
  }

  /**
   * Opens a connected UDP channel and runs a DTLS handshake over it, verifying the server's
   * certificate against the host of {@code address} as {@link #connect(InetSocketAddress,
   * SSLContext, LoopGroup, Consumer)} does.
   *
   * @param address the server
   * @param context a "DTLS" client context; its trust managers check the server's chain
   * @param loops the loop group; one loop is picked
   * @param configure adjusts the engine before the handshake
   * @param timer where retransmission timers run
   * @return a cold Mono of the handshaken connection
   */
  public static Mono<TlsConnection> connectDatagram(
      InetSocketAddress address,
      SSLContext context,
      LoopGroup loops,
      Consumer<SSLEngine> configure,
      reactor.core.scheduler.Scheduler timer) {
    return connectDatagram(
        address, context, loops, HostnameVerification.defaults(), configure, timer);
  }

  /**
   * As {@link #connectDatagram(InetSocketAddress, SSLContext, LoopGroup, Consumer,
   * reactor.core.scheduler.Scheduler)}, verifying the server as {@code verification} says.
   *
   * @param address the server
   * @param context a "DTLS" client context; its trust managers check the server's chain
   * @param loops the loop group; one loop is picked
   * @param verification the name checked and sent as SNI
   * @param configure adjusts the engine before the handshake; it cannot turn host name verification
   *     off
   * @param timer where retransmission timers run
   * @return a cold Mono of the handshaken connection
   */
  public static Mono<TlsConnection> connectDatagram(
      InetSocketAddress address,
      SSLContext context,
      LoopGroup loops,
      HostnameVerification verification,
      Consumer<SSLEngine> configure,
      reactor.core.scheduler.Scheduler timer) {
    Objects.requireNonNull(address, "address");
    Objects.requireNonNull(context, "context");
    Objects.requireNonNull(loops, "loops");
    Objects.requireNonNull(verification, "verification");
    Objects.requireNonNull(configure, "configure");
    Objects.requireNonNull(timer, "timer");
    return Mono.defer(
        () -> {
          if (address.isUnresolved()) {
            return Mono.error(unknownHost(address));
          }
          SelectorLoop loop = SelectorLoops.next(loops);
          SSLEngine ssl = clientEngine(address, context, verification, configure);
          DatagramTransport transport;
          try {
            java.nio.channels.DatagramChannel ch = java.nio.channels.DatagramChannel.open();
            try {
              ch.connect(address);
              transport = new DatagramTransport(ch, loop);
            } catch (IOException | RuntimeException e) {
              ch.close();
              throw e;
            }
          } catch (IOException e) {
            return Mono.error(e);
          }
          TlsConnection c = new TlsConnection(ssl, transport, context, ELASTIC);
          return c.handshake(timer).doOnError(e -> loop.execute(transport::close));
        });
  }

  /**
   * Encrypts and writes {@code data}. Refused with {@code ILLEGAL_STATE} once our close_notify was
   * sent (T2). The buffer must not be changed until the Mono completes.
   *
   * @param data plaintext
   * @return completes when every byte was handed to the transport
   */
  public Mono<Void> send(ByteBuffer data) {
    Objects.requireNonNull(data, "data");
    return Mono.defer(
        () -> {
          ByteBuffer src = data.duplicate();
          return LoopTask.run(
              engine, () -> engine.write(src), engine::writeStarted, engine::writeEnded);
        });
  }

  /**
   * Reads application data until the peer's close_notify, which completes the Flux as an
   * end-of-stream after all data sent before it (T3). A transport EOF without close_notify errors
   * with {@code TRUNCATED}. Each buffer is a copy the subscriber owns. Do not overlap it with a
   * shutdown that reads (bidirectional, wait-peer): that shutdown reads the same stream.
   *
   * @return the data
   */
  public Flux<ByteBuffer> receive() {
    return Flux.create(
        sink -> {
          Consumer<ByteBuffer> copy =
              b -> sink.next(ByteBuffer.allocate(b.remaining()).put(b).flip());
          Inbound into = Inbound.deliverTo(copy);
          Receiver r = new Receiver(sink, into);
          sink.onRequest(n -> engine.executor().execute(r));
          sink.onDispose(() -> engine.executor().execute(r::stop));
        },
        FluxSink.OverflowStrategy.BUFFER);
  }

  private final class Receiver implements Runnable {
    private final FluxSink<ByteBuffer> sink;
    private final Inbound into;
    private boolean stopped;
    private boolean waiting;

    Receiver(FluxSink<ByteBuffer> sink, Inbound into) {
      this.sink = sink;
      this.into = into;
    }

    @Override
    public void run() {
      waiting = false;
      if (stopped || sink.requestedFromDownstream() == 0) {
        return;
      }
      try {
        // Each record's data is handed out only on demand and only to a live subscriber: what
        // was not asked for, or comes after a cancel, stays in the connection for the next
        // reader (a later receive(), a shutdown's readInto) instead of being dropped (T5).
        if (engine.read(into, false, this::wanted) == Progress.DONE) {
          stopped = true;
          sink.complete();
        } else if (!waiting) {
          waiting = true;
          engine.awaitTransport(false, this);
        }
      } catch (dev.graceful.core.ShutdownException e) {
        stopped = true;
        sink.error(e);
      }
    }

    private boolean wanted() {
      return !stopped && !sink.isCancelled() && sink.requestedFromDownstream() > 0;
    }

    void stop() {
      if (!stopped) {
        stopped = true;
        engine.transport().cancelReadiness(this);
      }
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>Over DTLS (T14) "the peer's close_notify can be lost, so waiting always has a deadline": a
   * shutdown that waits for the peer ({@code bidirectional}, {@code waitPeer()}) without one is
   * refused with {@code INVALID_ARGUMENT} when subscribed, nothing sent. Fast and quiet shutdowns
   * do not wait and need none.
   */
  @Override
  public Mono<ShutdownResult> shutdown(ShutdownSpec spec) {
    Objects.requireNonNull(spec, "spec");
    if (engine.isDatagram() && waitsForPeer(spec.mode()) && spec.timeout().isEmpty()) {
      return Mono.error(
          () ->
              new dev.graceful.core.ShutdownException(
                  dev.graceful.core.ShutdownException.Reason.INVALID_ARGUMENT,
                  connectionId(),
                  engine.state(),
                  "over DTLS the peer's close_notify can be lost: a "
                      + spec.mode().cliName()
                      + " shutdown needs a deadline",
                  null));
    }
    return coordinator.shutdown(spec);
  }

  private static boolean waitsForPeer(dev.graceful.core.ShutdownMode mode) {
    return mode == dev.graceful.core.ShutdownMode.BIDIRECTIONAL
        || mode == dev.graceful.core.ShutdownMode.WAIT_PEER;
  }

  /**
   * @return the shutdown with the default policy (bidirectional, 10 s deadline)
   */
  public Mono<ShutdownResult> shutdown() {
    return shutdown(ShutdownSpec.bidirectional());
  }

  @Override
  public ShutdownState shutdownState() {
    return engine.state();
  }

  /**
   * SSL_set_shutdown: marks bits without sending anything, e.g. SENT so that the session stays
   * resumable and no close_notify will be sent. Bits can be added, never cleared.
   *
   * @param state a superset of the current state
   * @return completes once applied on the loop
   */
  public Mono<Void> setShutdownState(ShutdownState state) {
    Objects.requireNonNull(state, "state");
    return onLoop(() -> engine.setState(state));
  }

  /** Runs {@code action} on the connection's loop; its RuntimeException fails the Mono. */
  private Mono<Void> onLoop(Runnable action) {
    return Mono.create(
        sink ->
            engine
                .executor()
                .execute(
                    () -> {
                      try {
                        action.run();
                        sink.success();
                      } catch (RuntimeException e) {
                        sink.error(e);
                      }
                    }));
  }

  /**
   * Releases the connection (SSL_free): closes the transport. T9: "If the session is still open,
   * when SSL_clear(3) or SSL_free(3) is called, it is considered bad and removed": a session is
   * kept for resumption only if SENT was set; otherwise it is invalidated. A shutdown, send or
   * receive afterwards fails with {@code ILLEGAL_STATE} and changes nothing.
   *
   * @return completes when released
   */
  public Mono<Void> release() {
    return onLoop(
        () -> {
          if (!released) {
            released = true;
            if (!engine.state().sent() || engine.isFatal()) {
              SessionCache.invalidate(engine.ssl());
            }
            engine.release(); // later shutdowns are refused with ILLEGAL_STATE, nothing sent
          }
        });
  }

  @Override
  public String connectionId() {
    return engine.connectionId();
  }

  /**
   * @return the negotiated protocol, e.g. {@code TLSv1.3}
   */
  public String protocol() {
    return engine.ssl().getSession().getProtocol();
  }

  /**
   * @return the session
   */
  public SSLSession session() {
    return engine.ssl().getSession();
  }

  /**
   * @return who closed first so far: {@code PEER} if the peer's close was processed before ours was
   *     sent, else {@code LOCAL}
   */
  public dev.graceful.core.Initiator initiator() {
    return engine.describe().build().initiator();
  }

  /**
   * @return true if the handshake resumed an earlier session
   */
  public boolean resumed() {
    return engine.resumed();
  }

  /**
   * @return application bytes read over the connection so far
   */
  public long bytesRead() {
    return engine.bytesRead();
  }

  /**
   * @return bytes of buffer capacity the connection holds; it grows only for records larger than
   *     the negotiated maximum, never with the amount of data read
   */
  public int bufferCapacity() {
    return engine.bufferCapacity();
  }

  /**
   * @return completes once graceful closed the transport: by {@link #release()}, or by a shutdown
   *     whose {@link dev.graceful.core.TransportPolicy} closes it; a server forgets the connection
   *     then
   */
  public Mono<Void> closed() {
    return engine.closed();
  }

  /** Runs {@code onClose} once graceful closed the transport: a server's own bookkeeping. */
  void whenClosed(Runnable onClose) {
    engine.whenClosed(onClose);
  }

  /**
   * @return true once {@link #release()} ran
   */
  public boolean isReleased() {
    return released;
  }

  /**
   * @return the transport
   */
  public TlsTransport transport() {
    return transport;
  }
}
