package dev.graceful.netty.quic;

import dev.graceful.core.LoopGroup;
import dev.graceful.core.ServerShutdown;
import dev.graceful.core.ShutdownReport;
import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.core.ShutdownState;
import dev.graceful.quic.QuicClient;
import dev.graceful.quic.QuicConnection;
import dev.graceful.quic.QuicServer;
import dev.graceful.quic.QuicStreamHandle;
import dev.graceful.testkit.TestCerts;
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
import io.netty.handler.codec.quic.QuicServerCodecBuilder;
import io.netty.handler.codec.quic.QuicSslContext;
import io.netty.handler.codec.quic.QuicSslContextBuilder;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.handler.codec.quic.QuicStreamType;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tech.kwik.core.server.ServerConnectionConfig;
import tech.kwik.core.server.ServerConnector;

/**
 * The QUIC stacks graceful supports, each able to give the shared suite a client connection to a
 * peer server and a server that accepts a peer client's connections. Test code.
 */
enum Backend {
  KWIK {
    @Override
    Subject connect(InetSocketAddress server, String alpn, TestCerts certs, Duration idle)
        throws Exception {
      QuicClient client =
          QuicClient.to(server, alpn)
              .trustManager(trusting(certs))
              .kwik(
                  b ->
                      b.maxIdleTimeout(idle)
                          .connectTimeout(Duration.ofSeconds(3))
                          .logger(new tech.kwik.core.log.NullLogger()));
      RuntimeException last = null;
      for (int attempt = 1; attempt <= 3; attempt++) {
        try {
          return kwik(client.connect(loops()).block(WAIT));
        } catch (RuntimeException e) {
          last = e; // a peer process may print its ready line before it binds
        }
      }
      throw last;
    }

    @Override
    Subject.Server serve(String alpn, TestCerts certs) throws Exception {
      int port = freeUdpPort();
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      ks.setKeyEntry(
          "s",
          certs.cert().keys().getPrivate(),
          "p".toCharArray(),
          new X509Certificate[] {certs.cert().certificate()});
      ServerConnector connector =
          ServerConnector.builder()
              .withPort(port)
              .withKeyStore(ks, "s", "p".toCharArray())
              .withConfiguration(
                  ServerConnectionConfig.builder()
                      .maxIdleTimeoutInSeconds(30)
                      .maxOpenPeerInitiatedBidirectionalStreams(10)
                      .maxOpenPeerInitiatedUnidirectionalStreams(10)
                      .maxBidirectionalStreamBufferSize(4_000_000)
                      .maxConnectionBufferSize(8_000_000)
                      .build())
              .withLogger(new tech.kwik.core.log.NullLogger())
              .build();
      QuicServer server = QuicServer.start(connector, alpn, loops());
      Flux<Subject.Accepted> accepted =
          server
              .connections()
              .map(
                  a ->
                      new Subject.Accepted(
                          kwik(a.connection()),
                          a.peerStreams().map(Backend::kwikStream),
                          work -> server.track(a.connection(), work)))
              .replay()
              .autoConnect();
      accepted.subscribe();
      return new Subject.Server() {
        @Override
        public int port() {
          return port;
        }

        @Override
        public Flux<Subject.Accepted> connections() {
          return accepted;
        }

        @Override
        public Mono<ShutdownReport> shutdown(ServerShutdown how) {
          return server.shutdown(how);
        }

        @Override
        public void close() {
          server.close();
        }
      };
    }
  },

  NETTY {
    @Override
    Subject connect(InetSocketAddress server, String alpn, TestCerts certs, Duration idle)
        throws Exception {
      QuicSslContext ssl =
          QuicSslContextBuilder.forClient()
              .trustManager(InsecureTrustManagerFactory.INSTANCE)
              .applicationProtocols(alpn)
              .build();
      ChannelHandler codec =
          limits(new QuicClientCodecBuilder())
              .sslContext(ssl)
              .maxIdleTimeout(idle.toMillis(), TimeUnit.MILLISECONDS)
              .build();
      Channel udp =
          new Bootstrap()
              .group(group())
              .channel(NioDatagramChannel.class)
              .handler(codec)
              .bind(0)
              .sync()
              .channel();
      Exception last = null;
      for (int attempt = 1; attempt <= 3; attempt++) {
        try {
          QuicChannel quic =
              QuicChannel.newBootstrap(udp)
                  .streamHandler(
                      new ChannelInitializer<QuicStreamChannel>() {
                        @Override
                        protected void initChannel(QuicStreamChannel ch) {
                          // the peer's own streams (HTTP/3 control streams): read and released
                        }
                      })
                  .remoteAddress(server)
                  .connect()
                  .get(5, TimeUnit.SECONDS);
          // the UDP channel outlives the connection a little: a CONNECTION_CLOSE still queued in
          // it (behind a large write) is not thrown away
          quic.closeFuture()
              .addListener(f -> udp.eventLoop().schedule(() -> udp.close(), 2, TimeUnit.SECONDS));
          return netty(NettyQuicConnection.of(quic, "client->" + server));
        } catch (Exception e) {
          last = e;
        }
      }
      udp.close();
      throw last;
    }

    @Override
    Subject.Server serve(String alpn, TestCerts certs) throws Exception {
      QuicSslContext ssl =
          QuicSslContextBuilder.forServer(certs.keyFile().toFile(), null, certs.certFile().toFile())
              .applicationProtocols(alpn)
              .build();
      NettyQuicServer server = NettyQuicServer.create();
      ChannelHandler codec =
          limits(new QuicServerCodecBuilder())
              .sslContext(ssl)
              .maxIdleTimeout(30, TimeUnit.SECONDS)
              .tokenHandler(InsecureQuicTokenHandler.INSTANCE)
              .handler(server.connectionHandler())
              .streamHandler(server.streamHandler())
              .build();
      Channel udp =
          new Bootstrap()
              .group(group())
              .channel(NioDatagramChannel.class)
              .handler(codec)
              .bind(new InetSocketAddress("127.0.0.1", 0))
              .sync()
              .channel();
      server.bind(udp);
      int port = ((InetSocketAddress) udp.localAddress()).getPort();
      Flux<Subject.Accepted> accepted =
          server
              .connections()
              .map(
                  a ->
                      new Subject.Accepted(
                          netty(a.connection()),
                          a.peerStreams().map(Backend::nettyStream),
                          work -> server.track(a.connection(), work)))
              .replay()
              .autoConnect();
      accepted.subscribe();
      return new Subject.Server() {
        @Override
        public int port() {
          return port;
        }

        @Override
        public Flux<Subject.Accepted> connections() {
          return accepted;
        }

        @Override
        public Mono<ShutdownReport> shutdown(ServerShutdown how) {
          return server.shutdown(how);
        }

        @Override
        public void close() {
          udp.close().syncUninterruptibly();
        }
      };
    }
  };

  static final Duration WAIT = Duration.ofSeconds(30);

  /** A client connection to {@code server}, its certificate trusted. */
  abstract Subject connect(InetSocketAddress server, String alpn, TestCerts certs, Duration idle)
      throws Exception;

  /** A server on a free loopback port presenting {@code certs}. */
  abstract Subject.Server serve(String alpn, TestCerts certs) throws Exception;

  Subject connect(InetSocketAddress server, String alpn, TestCerts certs) throws Exception {
    return connect(server, alpn, certs, Duration.ofSeconds(30));
  }

  private static LoopGroup loops;
  private static EventLoopGroup group;

  static synchronized LoopGroup loops() {
    if (loops == null) {
      loops = LoopGroup.create(1);
    }
    return loops;
  }

  static synchronized EventLoopGroup group() {
    if (group == null) {
      group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    }
    return group;
  }

  private static <B extends io.netty.handler.codec.quic.QuicCodecBuilder<B>> B limits(B b) {
    return b.initialMaxData(16_000_000)
        .initialMaxStreamDataBidirectionalLocal(4_000_000)
        .initialMaxStreamDataBidirectionalRemote(4_000_000)
        .initialMaxStreamDataUnidirectional(4_000_000)
        .initialMaxStreamsBidirectional(100)
        .initialMaxStreamsUnidirectional(100);
  }

  static int freeUdpPort() throws Exception {
    try (java.net.DatagramSocket s =
        new java.net.DatagramSocket(0, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  static javax.net.ssl.X509TrustManager trusting(TestCerts certs) throws Exception {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setCertificateEntry("server", certs.cert().certificate());
    javax.net.ssl.TrustManagerFactory f =
        javax.net.ssl.TrustManagerFactory.getInstance(
            javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
    f.init(ks);
    return (javax.net.ssl.X509TrustManager) f.getTrustManagers()[0];
  }

  static Subject kwik(QuicConnection c) {
    return new Subject() {
      @Override
      public Mono<ShutdownResult> shutdown(ShutdownSpec spec) {
        return c.shutdown(spec);
      }

      @Override
      public ShutdownState state() {
        return c.shutdownState();
      }

      @Override
      public Mono<Void> setState(ShutdownState s) {
        return c.setShutdownState(s);
      }

      @Override
      public Mono<Stream> open(boolean bidirectional) {
        return (bidirectional ? c.openStream() : c.openUnidirectionalStream())
            .map(Backend::kwikStream);
      }

      @Override
      public Mono<Void> ended() {
        return c.ended();
      }

      @Override
      public Mono<Void> sendUntracked(byte[] data) {
        return Mono.<Void>fromCallable(
                () -> {
                  tech.kwik.core.QuicStream s = c.kwik().createStream(false);
                  s.getOutputStream().write(data);
                  s.getOutputStream().flush();
                  return null;
                })
            .subscribeOn(reactor.core.scheduler.Schedulers.boundedElastic());
      }
    };
  }

  static Subject.Stream kwikStream(QuicStreamHandle h) {
    return new Subject.Stream() {
      @Override
      public Mono<Void> write(ByteBuffer data) {
        return h.write(data);
      }

      @Override
      public Mono<Void> conclude() {
        return h.conclude();
      }

      @Override
      public Mono<Void> reset(long code) {
        return h.reset(code);
      }

      @Override
      public Mono<Long> readAll() {
        return h.readAll();
      }

      @Override
      public Mono<ShutdownResult> shutdown(ShutdownSpec spec) {
        return h.shutdown(spec);
      }

      @Override
      public Optional<ShutdownState> state() {
        return h.shutdownState();
      }

      @Override
      public boolean bidirectional() {
        return h.kwik().isBidirectional();
      }

      @Override
      public Subject.Stream acknowledgedBy(org.reactivestreams.Publisher<?> ack) {
        h.acknowledgedBy(ack);
        return this;
      }
    };
  }

  static Subject netty(NettyQuicConnection c) {
    return new Subject() {
      @Override
      public Mono<ShutdownResult> shutdown(ShutdownSpec spec) {
        return c.shutdown(spec);
      }

      @Override
      public ShutdownState state() {
        return c.shutdownState();
      }

      @Override
      public Mono<Void> setState(ShutdownState s) {
        return c.setShutdownState(s);
      }

      @Override
      public Mono<Stream> open(boolean bidirectional) {
        return (bidirectional ? c.openStream() : c.openUnidirectionalStream())
            .map(Backend::nettyStream);
      }

      @Override
      public Mono<Void> ended() {
        return c.ended();
      }

      @Override
      public Mono<Void> sendUntracked(byte[] data) {
        return Mono.create(
            sink ->
                c.channel()
                    .createStream(
                        QuicStreamType.UNIDIRECTIONAL,
                        new io.netty.channel.ChannelInboundHandlerAdapter())
                    .addListener(
                        f -> {
                          if (!f.isSuccess()) {
                            sink.error(f.cause());
                            return;
                          }
                          QuicStreamChannel s = (QuicStreamChannel) f.getNow();
                          s.writeAndFlush(io.netty.buffer.Unpooled.wrappedBuffer(data))
                              .addListener(
                                  w -> {
                                    if (w.isSuccess()) {
                                      sink.success();
                                    } else {
                                      sink.error(w.cause());
                                    }
                                  });
                        }));
      }
    };
  }

  static Subject.Stream nettyStream(NettyQuicStream h) {
    return new Subject.Stream() {
      @Override
      public Mono<Void> write(ByteBuffer data) {
        return h.write(data);
      }

      @Override
      public Mono<Void> conclude() {
        return h.conclude();
      }

      @Override
      public Mono<Void> reset(long code) {
        return h.reset(code);
      }

      @Override
      public Mono<Long> readAll() {
        return h.readAll();
      }

      @Override
      public Mono<ShutdownResult> shutdown(ShutdownSpec spec) {
        return h.shutdown(spec);
      }

      @Override
      public Optional<ShutdownState> state() {
        return h.shutdownState();
      }

      @Override
      public boolean bidirectional() {
        return h.channel().type() == QuicStreamType.BIDIRECTIONAL;
      }

      @Override
      public Subject.Stream acknowledgedBy(org.reactivestreams.Publisher<?> ack) {
        h.acknowledgedBy(ack);
        return this;
      }
    };
  }
}
