package dev.graceful.benchmarks.tls;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.SslHandler;
import java.net.InetSocketAddress;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;

/**
 * Netty 4.2's own close path: {@code SslHandler.closeOutbound()}, then {@code sslCloseFuture()} for
 * the peer's close_notify (bidirectional) or the close_notify's write future (fast), on the JDK
 * {@code SSLEngine} like the other stacks.
 */
final class NettyStack implements ServerStack {
  /** Resets at teardown are expected: close instead of logging each one. */
  private static final ChannelHandler QUIET =
      new ChannelInboundHandlerAdapter() {
        @Override
        public boolean isSharable() {
          return true;
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
          ctx.close();
        }
      };

  private final EventLoopGroup group;
  private final Channel server;
  private final Queue<Channel> channels = new ConcurrentLinkedQueue<>();

  /** The same channels by event loop, filled as each is handshaken: no sorting within the span. */
  private final java.util.Map<io.netty.channel.EventLoop, Queue<Channel>> byLoop =
      new java.util.concurrent.ConcurrentHashMap<>();

  private final AtomicInteger sent = new AtomicInteger();

  NettyStack(InetSocketAddress bind, SSLContext context, String protocol, int loops)
      throws InterruptedException {
    group = new MultiThreadIoEventLoopGroup(loops, NioIoHandler.newFactory());
    server =
        new ServerBootstrap()
            .group(group)
            .channel(NioServerSocketChannel.class)
            .option(ChannelOption.SO_BACKLOG, 4096)
            .childHandler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel ch) {
                    SSLEngine ssl = context.createSSLEngine();
                    ssl.setUseClientMode(false);
                    ssl.setEnabledProtocols(new String[] {protocol});
                    SslHandler tls = new SslHandler(ssl);
                    ch.pipeline().addLast(tls, QUIET);
                    tls.handshakeFuture()
                        .addListener(
                            f -> {
                              if (f.isSuccess()) {
                                // grouped first: handshaken() counts the flat queue
                                byLoop
                                    .computeIfAbsent(
                                        ch.eventLoop(), l -> new ConcurrentLinkedQueue<>())
                                    .add(ch);
                                channels.add(ch);
                              }
                            });
                  }
                })
            .bind(bind)
            .sync()
            .channel();
  }

  @Override
  public int port() {
    return ((InetSocketAddress) server.localAddress()).getPort();
  }

  @Override
  public int handshaken() {
    return channels.size();
  }

  @Override
  public void shutdownAll(Mode mode, Start start, Completion completion) {
    if (start == Start.CALLER) {
      for (Channel ch : channels) {
        ch.eventLoop().execute(() -> close(ch, mode, completion));
      }
      return;
    }
    byLoop.forEach(
        (loop, chs) -> loop.execute(() -> chs.forEach(ch -> close(ch, mode, completion))));
  }

  private void close(Channel ch, Mode mode, Completion completion) {
    SslHandler tls = ch.pipeline().get(SslHandler.class);
    tls.closeOutbound()
        .addListener(
            f -> {
              sent.incrementAndGet();
              if (mode == Mode.FAST) {
                report(f, completion);
              }
            });
    if (mode == Mode.BIDIRECTIONAL) {
      tls.sslCloseFuture().addListener(f -> report(f, completion));
    }
  }

  private static void report(io.netty.util.concurrent.Future<?> f, Completion completion) {
    if (f.isSuccess()) {
      completion.done();
    } else {
      completion.failed(f.cause());
    }
  }

  @Override
  public int sent() {
    return sent.get();
  }

  @Override
  public void close() {
    server.close().syncUninterruptibly();
    // every accepted channel closed and awaited: the group's shutdown alone left some open
    for (Channel ch : channels) {
      ch.close().syncUninterruptibly();
    }
    group.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
  }
}
