package dev.graceful.benchmarks.boot;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.ssl.SslCloseCompletionEvent;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * The clients: keep-alive HTTP/1.1 connections on Netty, over TLS (trusting the sample's own
 * certificate, host name verified) or cleartext. Each connection records how it ended, as seen from
 * the client: a TLS close counts as verified only if the server's close_notify arrived before the
 * connection closed (the client then answers with its own), a cleartext one only if it ended by an
 * orderly FIN without error; a response counts as whole only if it arrived complete.
 */
final class HttpLoad implements AutoCloseable {
  private final EventLoopGroup group;
  private final SslContext tls;

  HttpLoad(Path certificate, int threads) throws IOException {
    this.group = new MultiThreadIoEventLoopGroup(threads, NioIoHandler.newFactory());
    this.tls = SslContextBuilder.forClient().trustManager(certificate.toFile()).build();
  }

  /** Opens {@code n} connections, each of which sends one {@code GET /hello} and stays open. */
  List<Client> open(InetSocketAddress server, boolean secure, int n, int window, long timeoutMs)
      throws Exception {
    List<Client> clients = new ArrayList<>(n);
    Semaphore inFlight = new Semaphore(window);
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    for (int i = 0; i < n; i++) {
      if (!inFlight.tryAcquire(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
        throw new IOException(
            "opening connections took over " + timeoutMs + " ms (" + i + " of " + n + ")");
      }
      Client c = new Client(server, secure);
      clients.add(c);
      c.connect().whenComplete((r, e) -> inFlight.release());
    }
    for (Client c : clients) {
      c.hello.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    }
    return clients;
  }

  @Override
  public void close() {
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }

  /** One keep-alive connection and what it saw. */
  final class Client {
    private final InetSocketAddress server;
    private final boolean secure;
    private final CompletableFuture<Response> hello = new CompletableFuture<>();
    private volatile CompletableFuture<Response> pending = hello;
    private final CompletableFuture<Long> closed = new CompletableFuture<>();
    private volatile Channel channel;
    private volatile boolean closeNotify;
    private volatile Throwable error;
    private volatile long sentNanos;

    private Client(InetSocketAddress server, boolean secure) {
      this.server = server;
      this.secure = secure;
    }

    private CompletableFuture<Response> connect() {
      Bootstrap b =
          new Bootstrap()
              .group(group)
              .channel(NioSocketChannel.class)
              .option(ChannelOption.TCP_NODELAY, true)
              .handler(
                  new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                      if (secure) {
                        SslHandler ssl = tls.newHandler(ch.alloc(), "localhost", server.getPort());
                        javax.net.ssl.SSLParameters params = ssl.engine().getSSLParameters();
                        params.setEndpointIdentificationAlgorithm("HTTPS");
                        ssl.engine().setSSLParameters(params);
                        ch.pipeline().addLast(ssl);
                      }
                      ch.pipeline()
                          .addLast(new HttpClientCodec())
                          .addLast(new HttpObjectAggregator(1 << 16))
                          .addLast(new Handler());
                    }
                  });
      ChannelFuture f = b.connect(server);
      f.addListener(
          x -> {
            if (!x.isSuccess()) {
              hello.completeExceptionally(x.cause());
              return;
            }
            channel = f.channel();
            send("/hello");
          });
      return hello;
    }

    /** Sends {@code GET path} on this connection; the future completes with its response. */
    CompletableFuture<Response> get(String path) {
      CompletableFuture<Response> r = new CompletableFuture<>();
      pending = r;
      channel.eventLoop().execute(() -> send(path));
      return r;
    }

    private void send(String path) {
      DefaultFullHttpRequest request =
          new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, path);
      request.headers().set(HttpHeaderNames.HOST, "localhost:" + server.getPort());
      request.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
      sentNanos = System.nanoTime();
      channel.writeAndFlush(request);
    }

    /** Closes the connection from the client's side and waits until it is closed. */
    void closeNow() {
      channel.close().syncUninterruptibly();
    }

    /**
     * @return when the connection closed (System.nanoTime())
     */
    CompletableFuture<Long> closed() {
      return closed;
    }

    long sentNanos() {
      return sentNanos;
    }

    boolean secure() {
      return secure;
    }

    /**
     * @return how the connection ended: TLS verified only with the server's close_notify, cleartext
     *     only by an orderly close without error
     */
    boolean endedCleanly() {
      return closed.isDone() && error == null && (!secure || closeNotify);
    }

    Throwable error() {
      return error;
    }

    private final class Handler extends SimpleChannelInboundHandler<FullHttpResponse> {
      @Override
      protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse msg) {
        pending.complete(
            new Response(
                msg.status().code(),
                msg.content().toString(StandardCharsets.UTF_8),
                msg.headers().contains(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE, true),
                System.nanoTime()));
      }

      @Override
      public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof SslCloseCompletionEvent e && e.isSuccess()) {
          // the server's close_notify: answer with ours (SslHandler sends it on close)
          closeNotify = true;
          ctx.close();
        }
        super.userEventTriggered(ctx, evt);
      }

      @Override
      public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (error == null) {
          error = cause;
        }
        ctx.close();
      }

      @Override
      public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        long now = System.nanoTime();
        pending.completeExceptionally(new IOException("connection closed before the response"));
        closed.complete(now);
        super.channelInactive(ctx);
      }
    }
  }

  /** A response as the client received it. */
  record Response(int status, String body, boolean connectionClose, long receivedNanos) {}
}
