package dev.graceful.samples.examples;

import dev.graceful.core.ServerShutdown;
import dev.graceful.core.ShutdownReport;
import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.netty.quic.NettyQuicConnection;
import dev.graceful.netty.quic.NettyQuicServer;
import dev.graceful.netty.quic.NettyQuicStream;
import dev.graceful.quic.QuicShutdown;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.handler.codec.quic.InsecureQuicTokenHandler;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicClientCodecBuilder;
import io.netty.handler.codec.quic.QuicServerCodecBuilder;
import io.netty.handler.codec.quic.QuicSslContext;
import io.netty.handler.codec.quic.QuicSslContextBuilder;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;

/**
 * QUIC on Netty's codec: a server graceful wraps, a client whose data is drained before its close,
 * and the server's graceful shutdown.
 */
public final class NettyQuicExample {
  private NettyQuicExample() {}

  /**
   * Starts a Netty QUIC server for ALPN {@code graceful} on {@code address} that reads every stream
   * its clients open.
   *
   * @param ssl the server's TLS context (its key, certificate and ALPN)
   * @param group the Netty event loops
   * @param address where to listen
   * @return the running server
   * @throws InterruptedException if interrupted while binding
   */
  public static NettyQuicServer serve(
      QuicSslContext ssl, EventLoopGroup group, InetSocketAddress address)
      throws InterruptedException {
    // tag::netty-quic-server[]
    NettyQuicServer server = NettyQuicServer.create();
    ChannelHandler codec =
        new QuicServerCodecBuilder()
            .sslContext(ssl)
            .maxIdleTimeout(30, TimeUnit.SECONDS)
            .initialMaxData(10_000_000)
            .initialMaxStreamDataUnidirectional(1_000_000)
            .initialMaxStreamsUnidirectional(10)
            .tokenHandler(InsecureQuicTokenHandler.INSTANCE)
            .handler(server.connectionHandler()) // wraps each connection once it is established
            .streamHandler(server.streamHandler()) // adopts the streams each client opens
            .build();
    Channel udp =
        new Bootstrap()
            .group(group)
            .channel(NioDatagramChannel.class)
            .handler(codec)
            .bind(address)
            .sync()
            .channel();
    server.bind(udp); // closed when the server's shutdown ends
    server
        .connections()
        .flatMap(NettyQuicServer.Accepted::peerStreams)
        .flatMap(stream -> stream.readAll().onErrorComplete()) // read each to its end
        .subscribe();
    // end::netty-quic-server[]
    return server;
  }

  /**
   * Connects a Netty QUIC client to {@code server}.
   *
   * @param ssl the client's TLS context (what it trusts, its ALPN)
   * @param group the Netty event loops
   * @param server where the server listens
   * @return the connection, wrapped
   * @throws InterruptedException if interrupted while connecting
   * @throws ExecutionException if the connection fails
   */
  public static NettyQuicConnection connect(
      QuicSslContext ssl, EventLoopGroup group, InetSocketAddress server)
      throws InterruptedException, ExecutionException {
    // tag::netty-quic-client[]
    ChannelHandler codec =
        new QuicClientCodecBuilder()
            // the engine knows the server's name: the JDK's trust manager checks against it
            .sslEngineProvider(
                ch -> ssl.newEngine(ch.alloc(), server.getHostString(), server.getPort()))
            // the JDK's certificate checks may block: never on the event loop
            .sslTaskExecutor(ForkJoinPool.commonPool())
            .maxIdleTimeout(30, TimeUnit.SECONDS)
            .initialMaxData(10_000_000)
            .build();
    Channel udp =
        new Bootstrap()
            .group(group)
            .channel(NioDatagramChannel.class)
            .handler(codec)
            .bind(0)
            .sync()
            .channel();
    QuicChannel quic =
        QuicChannel.newBootstrap(udp)
            .handler(new ChannelInboundHandlerAdapter()) // the application's connection handler
            .remoteAddress(server)
            .connect()
            .get();
    NettyQuicConnection conn = NettyQuicConnection.of(quic, "client");
    // end::netty-quic-client[]
    return conn;
  }

  /**
   * Writes {@code payload} on a new stream and concludes it, then closes the connection: the data
   * is drained (sent and acknowledged) before the CONNECTION_CLOSE.
   *
   * @param conn a connected client
   * @param payload the bytes to send
   * @return how the close ended
   */
  public static ShutdownResult sendThenClose(NettyQuicConnection conn, byte[] payload) {
    // tag::netty-quic-close[]
    NettyQuicStream stream = conn.openUnidirectionalStream().block();
    stream.write(ByteBuffer.wrap(payload)).block(); // taken by quiche, not necessarily sent yet
    stream.conclude().block(); // FIN: quiche releases the stream once all of it is acknowledged

    ShutdownResult result =
        conn.shutdown(
                ShutdownSpec.bidirectional() // QUIC: drain, CONNECTION_CLOSE, closing period
                    .with(QuicShutdown.defaults().closeWith(0, "bye"))
                    .timeout(Duration.ofSeconds(5)))
            .block();
    // result.drained() == DRAINED: every byte and the FIN were acknowledged before the close
    // end::netty-quic-close[]
    return result;
  }

  /**
   * Stops {@code server} gracefully.
   *
   * @param server the server
   * @return how every open connection ended
   */
  public static ShutdownReport stop(NettyQuicServer server) {
    // tag::netty-quic-server-shutdown[]
    ShutdownReport report =
        server
            .shutdown(
                ServerShutdown.of(ShutdownSpec.bidirectional()).deadline(Duration.ofSeconds(10)))
            .block(); // refuses new connections, closes the open ones, then the UDP channel
    // end::netty-quic-server-shutdown[]
    return report;
  }

  /**
   * @param keyFile the server's PKCS#8 PEM key
   * @param certFile its certificate chain
   * @return a server context for ALPN {@code graceful}
   */
  public static QuicSslContext serverSsl(java.io.File keyFile, java.io.File certFile) {
    return QuicSslContextBuilder.forServer(keyFile, null, certFile)
        .applicationProtocols("graceful")
        .build();
  }
}
