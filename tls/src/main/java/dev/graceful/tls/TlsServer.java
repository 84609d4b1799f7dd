package dev.graceful.tls;

import dev.graceful.core.LoopGroup;
import dev.graceful.core.spi.SelectorLoop;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Objects;
import java.util.function.Consumer;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * A listening TLS server: accepts on one loop, spreads connections over the group, handshakes each
 * on its own loop, and emits it. Handshake failures are counted and the socket is closed.
 */
public final class TlsServer {
  private static final System.Logger LOG = System.getLogger(TlsServer.class.getName());

  private final ServerSocketChannel listener;
  private final SelectorLoop acceptLoop;
  private final LoopGroup loops;
  private final SSLContext context;
  private final Consumer<SSLEngine> configure;
  private final Sinks.Many<TlsConnection> accepted = Sinks.many().unicast().onBackpressureBuffer();
  private final InetSocketAddress address;
  private volatile long handshakeFailures;
  private SelectionKey key;

  private TlsServer(
      ServerSocketChannel listener,
      LoopGroup loops,
      SSLContext context,
      Consumer<SSLEngine> configure)
      throws IOException {
    this.listener = listener;
    this.loops = loops;
    this.acceptLoop = loops.next();
    this.context = context;
    this.configure = configure;
    this.address = (InetSocketAddress) listener.getLocalAddress();
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
    Objects.requireNonNull(bind, "bind");
    Objects.requireNonNull(context, "context");
    Objects.requireNonNull(loops, "loops");
    Objects.requireNonNull(configure, "configure");
    return Mono.create(
        sink -> {
          TlsServer server;
          try {
            ServerSocketChannel ch = ServerSocketChannel.open();
            ch.configureBlocking(false);
            ch.bind(bind, 4096);
            server = new TlsServer(ch, loops, context, configure);
          } catch (IOException e) {
            sink.error(e);
            return;
          }
          server.acceptLoop.execute(
              () -> {
                try {
                  server.key = server.acceptLoop.register(server.listener, k -> server.acceptAll());
                  server.key.interestOps(SelectionKey.OP_ACCEPT);
                  sink.success(server);
                } catch (IOException e) {
                  sink.error(e);
                }
              });
        });
  }

  private void acceptAll() {
    for (; ; ) {
      SocketChannel ch;
      try {
        ch = listener.accept();
      } catch (IOException e) {
        LOG.log(System.Logger.Level.WARNING, "accept failed", e);
        return;
      }
      if (ch == null) {
        return;
      }
      SelectorLoop loop = loops.next();
      loop.execute(() -> start(ch, loop));
    }
  }

  private void start(SocketChannel ch, SelectorLoop loop) {
    ChannelTransport transport;
    try {
      transport = new ChannelTransport(ch, loop);
    } catch (IOException e) {
      TlsConnection.closeQuietly(ch);
      return;
    }
    SSLEngine ssl = context.createSSLEngine();
    ssl.setUseClientMode(false);
    configure.accept(ssl);
    TlsConnection c = TlsConnection.over(transport, ssl, context);
    c.handshake()
        .subscribe(
            ready -> accepted.emitNext(ready, Sinks.EmitFailureHandler.busyLooping(java.time.Duration.ofSeconds(1))),
            e -> {
              handshakeFailures++;
              LOG.log(System.Logger.Level.DEBUG, "handshake failed: " + e.getMessage());
              loop.execute(transport::close);
            });
  }

  /** @return the handshaken connections, for one subscriber */
  public Flux<TlsConnection> connections() {
    return accepted.asFlux();
  }

  /** @return the bound address */
  public InetSocketAddress address() {
    return address;
  }

  /** @return handshakes that failed so far */
  public long handshakeFailures() {
    return handshakeFailures;
  }

  /**
   * G1: stops accepting. Open connections are untouched.
   *
   * @return completes when the listener is closed
   */
  public Mono<Void> stopAccepting() {
    return Mono.create(
        sink ->
            acceptLoop.execute(
                () -> {
                  if (key != null) {
                    key.cancel();
                  }
                  try {
                    listener.close();
                  } catch (IOException e) {
                    LOG.log(System.Logger.Level.WARNING, "closing listener failed", e);
                  }
                  accepted.tryEmitComplete();
                  sink.success();
                }));
  }
}
