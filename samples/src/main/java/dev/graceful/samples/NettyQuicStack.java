package dev.graceful.samples;

import dev.graceful.core.ShutdownException;
import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.core.ShutdownState;
import dev.graceful.netty.quic.NettyQuicConnection;
import dev.graceful.netty.quic.NettyQuicServer;
import dev.graceful.netty.quic.NettyQuicStream;
import dev.graceful.quic.QuicShutdown;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.handler.codec.quic.InsecureQuicTokenHandler;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicClientCodecBuilder;
import io.netty.handler.codec.quic.QuicCodecBuilder;
import io.netty.handler.codec.quic.QuicServerCodecBuilder;
import io.netty.handler.codec.quic.QuicSslContext;
import io.netty.handler.codec.quic.QuicSslContextBuilder;
import io.netty.handler.codec.quic.QuicStreamChannel;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.security.KeyStore;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.KeyManagerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * {@code quic-client} and {@code quic-server} with {@code --stack netty}: the same commands on
 * Netty's QUIC codec through {@code graceful-netty-quic}, with the same options, output and exit
 * codes as on Kwik.
 */
final class NettyQuicStack {
  private static final int CHUNK = 64 * 1024;
  private static final ByteBuffer ZEROS = ByteBuffer.allocate(CHUNK).asReadOnlyBuffer();

  private NettyQuicStack() {}

  /** The transport limits both roles offer: as the Kwik commands configure Kwik. */
  private static <B extends QuicCodecBuilder<B>> B limits(B b) {
    return b.maxIdleTimeout(30, TimeUnit.SECONDS)
        .initialMaxData(16_000_000)
        .initialMaxStreamDataBidirectionalLocal(4_000_000)
        .initialMaxStreamDataBidirectionalRemote(4_000_000)
        .initialMaxStreamDataUnidirectional(4_000_000)
        .initialMaxStreamsBidirectional(100)
        .initialMaxStreamsUnidirectional(100);
  }

  /** Writes {@code n} zero bytes in chunks, in order, without concluding the stream. */
  static Mono<Void> sendZeros(NettyQuicStream s, long n) {
    if (n <= 0) {
      return Mono.empty();
    }
    return Flux.generate(
            () -> n,
            (Long left, reactor.core.publisher.SynchronousSink<ByteBuffer> sink) -> {
              if (left <= 0) {
                sink.complete();
                return 0L;
              }
              int size = (int) Math.min(CHUNK, left);
              sink.next(ZEROS.duplicate().limit(size));
              return left - size;
            })
        .concatMap(s::write, 1)
        .then();
  }

  // ---- quic-client --stack netty

  static Integer client(QuicClientCommand cmd) throws Exception {
    QuicOptions quic = cmd.quic;
    ClientSecurityOptions security = cmd.security;
    InetSocketAddress target = Traffic.hostPort(cmd.connect);
    QuicCommands.validate(quic);
    security.validate();
    InetSocketAddress address = Traffic.resolve(target);
    QuicSslContext ssl = clientSsl(quic.alpn, security);
    String verifiedName =
        security.servername != null ? security.servername : target.getHostString();
    security.warnIfInsecure(System.err);
    Report report = new Report(System.out);
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    String peer = Report.hostPort(address);
    NettyQuicConnection c = null;
    Channel udp = null;
    long started = System.nanoTime(); // until the shutdown starts: the connection attempt's
    NettyQuicConnection.warmUp(); // the close path links while the handshake runs
    try {
      ChannelHandler codec =
          limits(new QuicClientCodecBuilder())
              .sslEngineProvider(ch -> ssl.newEngine(ch.alloc(), verifiedName, address.getPort()))
              // the JDK's certificate checks may block: never on the event loop
              .sslTaskExecutor(java.util.concurrent.ForkJoinPool.commonPool())
              .build();
      udp =
          new Bootstrap()
              .group(group)
              .channel(NioDatagramChannel.class)
              .handler(codec)
              .bind(0)
              .sync()
              .channel();
      AtomicReference<NettyQuicConnection> wrapped = new AtomicReference<>();
      QuicChannel channel =
          QuicChannel.newBootstrap(udp)
              .streamHandler(
                  new ChannelInitializer<QuicStreamChannel>() {
                    @Override
                    protected void initChannel(QuicStreamChannel ch) {
                      // count what the server sends on streams it opens, too
                      NettyQuicConnection conn = wrapped.get();
                      if (conn != null) {
                        conn.adopt(ch).readAll().subscribe(null, e -> {});
                      }
                    }
                  })
              .remoteAddress(address)
              .connect()
              .get(quic.timeout.plusSeconds(30).toMillis(), TimeUnit.MILLISECONDS);
      c = NettyQuicConnection.of(channel, "quic-client->" + peer);
      wrapped.set(c);
      // Netty's codec proves delivery once a stream is concluded and released: the bytes go on a
      // unidirectional stream that ends with them (Kwik's path leaves its stream open)
      NettyQuicStream stream = c.openUnidirectionalStream().block(quic.timeout);
      sendZeros(stream, quic.send).then(stream.conclude()).block();
      System.err.println(
          "graceful: sent " + quic.send + " bytes, shutting down by " + quic.mode.cliName());
      started = System.nanoTime();
      ShutdownResult r = c.shutdown(quic.spec()).block();
      report.add(QuicCommands.line(peer, quic, r));
    } catch (RuntimeException | java.util.concurrent.ExecutionException e) {
      Throwable cause =
          e instanceof java.util.concurrent.ExecutionException && e.getCause() != null
              ? e.getCause()
              : e;
      ShutdownException err =
          QuicCommands.asShutdownError(
              cause, c == null ? "quic-client->" + peer : c.connectionId());
      report.add(
          QuicCommands.line(
              peer,
              quic,
              err,
              c == null ? ShutdownState.NONE : c.shutdownState(),
              System.nanoTime() - started,
              c == null ? 0 : c.bytesRead()));
    } finally {
      if (udp != null) {
        udp.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
      }
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
    }
    return report.anyError() ? Main.SHUTDOWN_ERROR : Main.OK;
  }

  /** Verifying by default (S1): the chain and the host connected to (or --servername). */
  private static QuicSslContext clientSsl(String alpn, ClientSecurityOptions security)
      throws java.security.GeneralSecurityException {
    QuicSslContextBuilder b =
        QuicSslContextBuilder.forClient()
            .trustManager(security.trustManager())
            .applicationProtocols(alpn);
    if (!security.insecure) {
      b = b.endpointIdentificationAlgorithm("HTTPS");
    }
    KeyStore id = security.identity();
    if (id != null) {
      b =
          b.keyManager(
              ClientSecurityOptions.privateKey(id), null, ClientSecurityOptions.certificate(id));
    }
    return b.build();
  }

  // ---- quic-server --stack netty

  /** The server command on Netty: as {@link QuicServerCommand} does on Kwik. */
  static final class Server {
    private final QuicOptions quic;
    private final ServerOptions serving;
    private Serving served;
    private Report report;
    private final Map<String, Served> byId = new ConcurrentHashMap<>();

    Server(QuicServerCommand cmd) {
      this.quic = cmd.quic;
      this.serving = cmd.serving;
    }

    /** One accepted connection. */
    private final class Served {
      final NettyQuicConnection c;
      final Serving.Slot slot;
      final String peer;
      // when its shutdown began, or when it was accepted
      private volatile long started = System.nanoTime();

      Served(NettyQuicConnection c) {
        this.c = c;
        this.slot = served.open();
        this.peer = String.valueOf(c.channel().remoteSocketAddress()).replaceFirst("^/", "");
        byId.put(c.connectionId(), this);
      }

      void report(ShutdownResult r, Throwable error) {
        if (!served.claim(slot)) {
          return;
        }
        if (r != null) {
          report.add(QuicCommands.line(peer, quic, r));
        } else {
          ShutdownException e = QuicCommands.asShutdownError(error, c.connectionId());
          report.add(
              QuicCommands.line(
                  peer, quic, e, e.state(), System.nanoTime() - started, c.bytesRead()));
        }
        byId.remove(c.connectionId());
        served.release(slot);
      }

      Mono<Void> end() {
        started = System.nanoTime();
        return c.shutdown(quic.spec())
            .doOnNext(r -> report(r, null))
            .doOnError(e -> report(null, e))
            .onErrorResume(e -> Mono.empty())
            .then();
      }
    }

    Integer call() throws Exception {
      QuicCommands.validate(quic);
      serving.validate();
      served = new Serving(serving.accept);
      report = new Report(System.out);
      InetSocketAddress at = serving.address();
      KeyStore identity = TlsContexts.keyStore(serving.cert, serving.key);
      KeyManagerFactory keys =
          KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      keys.init(identity, TlsContexts.password());
      QuicSslContext ssl =
          QuicSslContextBuilder.forServer(keys, new String(TlsContexts.password()))
              .applicationProtocols(quic.alpn)
              .build();
      NettyQuicServer server = NettyQuicServer.create();
      ChannelHandler codec =
          limits(new QuicServerCodecBuilder())
              .sslContext(ssl)
              .tokenHandler(InsecureQuicTokenHandler.INSTANCE)
              .handler(server.connectionHandler())
              .streamHandler(server.streamHandler())
              .build();
      EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
      Channel udp;
      try {
        udp =
            new Bootstrap()
                .group(group)
                .channel(NioDatagramChannel.class)
                .handler(codec)
                .bind(at)
                .sync()
                .channel();
      } catch (Exception e) {
        group.shutdownGracefully();
        throw ServerOptions.cannotListen(at, e);
      }
      server.bind(udp);
      TerminationSignals.handle(() -> onSignal(server), served::awaitSignalEnd);
      System.err.println(
          "graceful quic-server listening on "
              + udp.localAddress()
              + " (ALPN "
              + quic.alpn
              + ", Netty)");
      Flux<NettyQuicServer.Accepted> conns = server.connections();
      if (serving.accept != null) {
        conns = conns.take(serving.accept);
      }
      conns.subscribe(this::serve);
      try {
        served.awaitEnd();
        if (served.endedBySignal()) {
          return served.signalExitCode();
        }
        if (!served.finish()) {
          served.awaitSignalEnd();
          return served.signalExitCode();
        }
        report.summary();
        return report.anyError() ? Main.SHUTDOWN_ERROR : Main.OK;
      } finally {
        udp.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
      }
    }

    private void serve(NettyQuicServer.Accepted a) {
      Served s = new Served(a.connection());
      System.err.println("graceful: accepted " + s.c.connectionId());
      a.peerStreams().subscribe(h -> h.readAll().subscribe(null, e -> {}));
      Mono<Void> send =
          quic.send > 0
              ? s.c
                  .openUnidirectionalStream()
                  .flatMap(h -> sendZeros(h, quic.send).then(h.conclude()))
              : Mono.empty();
      send.then(
              Mono.defer(
                  () -> {
                    // Q4: the first shutdown fixes the code and reason, so this one carries them
                    if (serving.hold
                        && s.slot.hold(
                            () ->
                                s.c
                                    .shutdown(
                                        ShutdownSpec.of(dev.graceful.core.ShutdownMode.WAIT_PEER)
                                            .noTimeout()
                                            .with(
                                                QuicShutdown.defaults()
                                                    .closeWith(quic.errorCode, quic.reason)))
                                    .subscribe(r -> s.report(r, null), e -> s.report(null, e)))) {
                      return Mono.empty();
                    }
                    return s.end();
                  }))
          .subscribe(v -> {}, e -> s.report(null, e));
    }

    private void onSignal(dev.graceful.core.GracefulShutdown server) {
      served.shutDownBySignal(
          () ->
              server.shutdown(
                  dev.graceful.core.ServerShutdown.of(quic.spec()).deadline(quic.timeout)),
          this::print,
          report,
          quic.timeout);
    }

    private void print(dev.graceful.core.ShutdownReport r) {
      for (dev.graceful.core.ShutdownReport.Entry e : r.entries()) {
        Served s = byId.get(e.connectionId());
        if (s != null) {
          s.report(e.result().orElse(null), e.error().orElse(null));
        }
      }
    }
  }
}
