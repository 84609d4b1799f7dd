package dev.graceful.netty;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graceful.testkit.TestCerts;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLException;

/**
 * A server channel with an {@code SslHandler} and its {@link NettyTlsConnection}, and a client
 * channel with its own {@code SslHandler}, both {@link EmbeddedChannel}s: the test moves the bytes
 * between them, so nothing touches a socket or a real clock. Test code.
 */
final class EmbeddedTlsPair implements AutoCloseable {
  final EmbeddedChannel server;
  final EmbeddedChannel client;
  final NettyTlsConnection connection;

  /** Plaintext that reached the server application's handler, after graceful's. */
  final StringBuilder serverApplication = new StringBuilder();

  /** Exceptions that reached the end of the server's pipeline. */
  final List<Throwable> serverErrors = new ArrayList<>();

  /** Plaintext that reached the client. */
  final StringBuilder clientApplication = new StringBuilder();

  /** Exceptions that reached the end of the client's pipeline. */
  final List<Throwable> clientErrors = new ArrayList<>();

  private EmbeddedTlsPair(SslContext serverContext, SslContext clientContext) {
    server = new EmbeddedChannel();
    server
        .pipeline()
        .addLast("ssl", new SslHandler(serverContext.newEngine(ByteBufAllocator.DEFAULT)));
    server.pipeline().addLast("application", new Collector(serverApplication, serverErrors));
    connection = NettyTlsConnection.of(server);
    client =
        new EmbeddedChannel(
            new SslHandler(clientContext.newEngine(ByteBufAllocator.DEFAULT, "localhost", 443)),
            new Collector(clientApplication, clientErrors));
  }

  /**
   * @param certs the server's certificate, which the client trusts
   * @param provider the server's engine: the JDK's or BoringSSL
   * @param protocol {@code "TLSv1.2"} or {@code "TLSv1.3"}
   * @return a pair whose handshake completed
   */
  static EmbeddedTlsPair handshaken(TestCerts certs, SslProvider provider, String protocol)
      throws SSLException {
    SslContext serverContext =
        SslContextBuilder.forServer(certs.cert().keys().getPrivate(), certs.cert().certificate())
            .sslProvider(provider)
            .protocols(protocol)
            .build();
    SslContext clientContext =
        SslContextBuilder.forClient()
            .trustManager(certs.cert().certificate())
            .sslProvider(SslProvider.JDK)
            .protocols(protocol)
            .build();
    EmbeddedTlsPair p = new EmbeddedTlsPair(serverContext, clientContext);
    p.pump();
    assertThat(p.server.pipeline().get(SslHandler.class).handshakeFuture().isSuccess())
        .as("handshaken")
        .isTrue();
    assertThat(p.client.pipeline().get(SslHandler.class).handshakeFuture().isSuccess())
        .as("client handshaken")
        .isTrue();
    return p;
  }

  /** Moves bytes both ways, running each side's tasks, until neither has anything to send. */
  void pump() {
    while (toServer() + toClient() > 0) {
      // again: an answer may have been written
    }
  }

  /**
   * @return records moved from the client to the server
   */
  int toServer() {
    return move(client, server);
  }

  /**
   * @return records moved from the server to the client
   */
  int toClient() {
    return move(server, client);
  }

  private static int move(EmbeddedChannel from, EmbeddedChannel to) {
    from.runPendingTasks();
    int moved = 0;
    for (Object msg = from.readOutbound(); msg != null; msg = from.readOutbound()) {
      moved++;
      if (to.isOpen()) {
        to.writeInbound(msg);
      } else {
        ((ByteBuf) msg).release();
      }
    }
    to.runPendingTasks();
    return moved;
  }

  /** The client writes {@code text} (not moved yet). */
  void clientWrites(String text) {
    client.writeAndFlush(Unpooled.copiedBuffer(text, StandardCharsets.UTF_8));
  }

  /** The client sends its close_notify (not moved yet); its channel stays open. */
  void clientClosesOutbound() {
    client.pipeline().get(SslHandler.class).closeOutbound();
  }

  /** Bytes from the client's side of the wire that reach the server as they are. */
  void rawToServer(byte... bytes) {
    server.writeInbound(Unpooled.wrappedBuffer(bytes));
    server.runPendingTasks();
  }

  /** Bytes that reach the client as they are. */
  void rawToClient(byte... bytes) {
    client.writeInbound(Unpooled.wrappedBuffer(bytes));
    client.runPendingTasks();
  }

  /** The transport under the server ends without a word: no close_notify, no alert. */
  void transportEnds() {
    server.unsafe().close(server.voidPromise());
    server.runPendingTasks();
  }

  @Override
  public void close() {
    server.finishAndReleaseAll();
    client.finishAndReleaseAll();
  }

  /** An application's handler: keeps the plaintext and the exceptions that reach it. */
  private static final class Collector extends ChannelInboundHandlerAdapter {
    private final StringBuilder text;
    private final List<Throwable> errors;

    Collector(StringBuilder text, List<Throwable> errors) {
      this.text = text;
      this.errors = errors;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ByteBuf b = (ByteBuf) msg;
      text.append(b.toString(StandardCharsets.UTF_8));
      b.release();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      errors.add(cause);
    }
  }
}
