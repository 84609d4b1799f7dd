package dev.graceful.benchmarks.tls;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;

/** The hand-written limit: one thread, NIO, {@code SSLEngine}, nothing else. */
final class RawStack implements ServerStack, NioTls.Events {
  private final NioLoop loop = new NioLoop("raw-server");
  private final ServerSocketChannel listener;
  private final SSLContext context;
  private final String protocol;
  private final List<NioTls> ready = new ArrayList<>(); // loop only
  private final AtomicInteger handshaken = new AtomicInteger();
  private final AtomicInteger sent = new AtomicInteger();
  private volatile Mode mode;
  private volatile Completion completion;

  RawStack(InetSocketAddress bind, SSLContext context, String protocol) throws IOException {
    this.context = context;
    this.protocol = protocol;
    listener = ServerSocketChannel.open();
    listener.configureBlocking(false);
    listener.bind(bind, 4096);
    onLoop(() -> loop.register(listener, SelectionKey.OP_ACCEPT, k -> acceptAll()));
  }

  private interface IoTask {
    Object run() throws IOException;
  }

  private void onLoop(IoTask task) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    loop.execute(
        () -> {
          try {
            task.run();
            done.complete(null);
          } catch (IOException | RuntimeException e) {
            done.completeExceptionally(e);
          }
        });
    try {
      done.join();
    } catch (java.util.concurrent.CompletionException e) {
      throw new UncheckedIOException(new IOException(e.getCause()));
    }
  }

  private void acceptAll() {
    try {
      SocketChannel ch;
      while ((ch = listener.accept()) != null) {
        ch.configureBlocking(false);
        ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
        SSLEngine ssl = context.createSSLEngine();
        ssl.setUseClientMode(false);
        ssl.setEnabledProtocols(new String[] {protocol});
        new NioTls(ch, ssl, loop, this).start();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public int port() {
    return ((InetSocketAddress) listener.socket().getLocalSocketAddress()).getPort();
  }

  @Override
  public int handshaken() {
    return handshaken.get();
  }

  @Override
  public void shutdownAll(Mode mode, Start start, Completion completion) {
    // one thread owns every connection: both starts are one task on it
    this.mode = mode;
    this.completion = completion;
    loop.execute(
        () -> {
          for (NioTls c : ready) {
            c.close();
          }
        });
  }

  @Override
  public int sent() {
    return sent.get();
  }

  @Override
  public void handshaken(NioTls c) {
    ready.add(c);
    handshaken.incrementAndGet();
  }

  @Override
  public void closeNotify(NioTls c) {
    if (mode == Mode.BIDIRECTIONAL) {
      completion.done();
    }
  }

  @Override
  public void sent(NioTls c) {
    sent.incrementAndGet();
    if (mode == Mode.FAST) {
      completion.done();
    }
  }

  @Override
  public void ended(NioTls c, String why) {
    Completion now = completion;
    if (now != null) {
      now.failed(new IOException(why));
    }
  }

  @Override
  public void close() {
    onLoop(
        () -> {
          listener.close();
          ready.forEach(NioTls::abort);
          ready.clear();
          return null;
        });
    loop.close();
  }
}
