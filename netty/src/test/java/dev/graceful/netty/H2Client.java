package dev.graceful.netty;

import dev.graceful.testkit.TestCerts;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslCloseCompletionEvent;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * An HTTP/2 client over TLS (ALPN h2) built on Netty's own HTTP/2 codec and the JDK's engine (test
 * code): a real peer that records, in order, what a graceful server shutdown shows it: responses,
 * the GOAWAY, the server's close_notify (which it answers by closing), and the connection's end.
 */
final class H2Client {
  private final Channel channel;
  private final Recorder recorder;

  private H2Client(Channel channel, Recorder recorder) {
    this.channel = channel;
    this.recorder = recorder;
  }

  static H2Client connect(InetSocketAddress server, TestCerts certs, EventLoopGroup group)
      throws Exception {
    return connect(server, certs, group, true);
  }

  /**
   * @param answers whether it answers the server's close_notify (by closing); a client that does
   *     not stops reading once it sent a request, and keeps the connection open
   */
  static H2Client connect(
      InetSocketAddress server, TestCerts certs, EventLoopGroup group, boolean answers)
      throws Exception {
    SslContext ctx =
        SslContextBuilder.forClient()
            .trustManager(certs.cert().certificate())
            .protocols("TLSv1.3")
            .applicationProtocolConfig(
                new ApplicationProtocolConfig(
                    ApplicationProtocolConfig.Protocol.ALPN,
                    ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                    ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                    ApplicationProtocolNames.HTTP_2))
            .build();
    Recorder recorder = new Recorder(answers);
    Channel ch =
        new Bootstrap()
            .group(group)
            .channel(NioSocketChannel.class)
            .handler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel c) {
                    c.pipeline()
                        .addLast(
                            ctx.newHandler(c.alloc(), server.getHostString(), server.getPort()))
                        .addLast(Http2FrameCodecBuilder.forClient().build())
                        .addLast(new Http2MultiplexHandler(new ChannelInboundHandlerAdapter()))
                        .addLast(recorder);
                  }
                })
            .connect(server)
            .sync()
            .channel();
    recorder.handshaken.get(10, TimeUnit.SECONDS);
    String alpn = ch.pipeline().get(SslHandler.class).applicationProtocol();
    if (!ApplicationProtocolNames.HTTP_2.equals(alpn)) {
      throw new IllegalStateException("ALPN chose " + alpn + ", not h2");
    }
    return new H2Client(ch, recorder);
  }

  /** Sends GET {@code path} on a new stream; its response is recorded. */
  void get(String path) {
    new Http2StreamChannelBootstrap(channel)
        .handler(new StreamRecorder(recorder))
        .open()
        .addListener(
            (io.netty.util.concurrent.Future<Http2StreamChannel> f) -> {
              if (!f.isSuccess()) {
                recorder.record("error " + f.cause());
                return;
              }
              Http2Headers h =
                  new DefaultHttp2Headers()
                      .method("GET")
                      .scheme("https")
                      .authority("localhost")
                      .path(path);
              f.getNow().writeAndFlush(new DefaultHttp2HeadersFrame(h, true));
              if (!recorder.answers) {
                channel.config().setAutoRead(false); // deaf from here on: it reads nothing more
              }
            });
  }

  /**
   * @return everything seen so far, in order: "response on stream S: N bytes", "GOAWAY E last
   *     stream S", "close_notify", "end"
   */
  List<String> events() {
    synchronized (recorder) {
      return List.copyOf(recorder.events);
    }
  }

  /**
   * Sends GET {@code path} as soon as the first GOAWAY arrives, as if it had crossed it on the way.
   */
  void getOnFirstGoAway(String path) {
    recorder.onFirstGoAway = () -> get(path);
  }

  /** Sends the client's own GOAWAY (NO_ERROR): it is going away, and will open no more streams. */
  void goAway() {
    channel.writeAndFlush(
        new io.netty.handler.codec.http2.DefaultHttp2GoAwayFrame(
            io.netty.handler.codec.http2.Http2Error.NO_ERROR));
  }

  /** Completes when the connection has ended. */
  CompletableFuture<Void> ended() {
    return recorder.ended;
  }

  void close() {
    channel.close();
  }

  /** Event loop only (its fields are read under its monitor). */
  private static final class Recorder extends ChannelInboundHandlerAdapter {
    final CompletableFuture<Void> handshaken = new CompletableFuture<>();
    final CompletableFuture<Void> ended = new CompletableFuture<>();
    final List<String> events = new ArrayList<>();
    final boolean answers;
    volatile Runnable onFirstGoAway;

    Recorder(boolean answers) {
      this.answers = answers;
    }

    @Override
    public boolean isSharable() {
      return true;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      try {
        if (msg instanceof Http2GoAwayFrame g) {
          record("GOAWAY " + g.errorCode() + " last stream " + g.lastStreamId());
          Runnable hook = onFirstGoAway;
          onFirstGoAway = null;
          if (hook != null) {
            hook.run(); // on the event loop, before the frames that follow are read
          }
        }
      } finally {
        ReferenceCountUtil.release(msg);
      }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof SslHandshakeCompletionEvent hs) {
        if (hs.isSuccess()) {
          handshaken.complete(null);
        } else {
          handshaken.completeExceptionally(hs.cause());
        }
      } else if (evt instanceof SslCloseCompletionEvent close && close.isSuccess()) {
        record("close_notify");
        if (answers) {
          ctx.close(); // the cooperative client answers with its own close_notify
        }
      }
      ReferenceCountUtil.release(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      record("error " + cause);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      record("end");
      ended.complete(null);
    }

    synchronized void record(String event) {
      events.add(event);
    }
  }

  /** One stream's response: records its size once the stream ends. */
  private static final class StreamRecorder extends ChannelInboundHandlerAdapter {
    private final Recorder recorder;
    private long bytes;

    StreamRecorder(Recorder recorder) {
      this.recorder = recorder;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      try {
        if (msg instanceof Http2DataFrame d) {
          bytes += d.content().readableBytes();
          if (d.isEndStream()) {
            recorder.record("response on stream " + d.stream().id() + ": " + bytes + " bytes");
          }
        } else if (msg instanceof Http2HeadersFrame h && h.isEndStream()) {
          recorder.record("response on stream " + h.stream().id() + ": " + bytes + " bytes");
        }
      } finally {
        ReferenceCountUtil.release(msg);
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      recorder.record("stream error " + cause);
    }
  }
}
