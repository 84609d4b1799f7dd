package dev.graceful.tls;

import dev.graceful.core.spi.SelectorLoop;
import java.io.IOException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.Objects;
import java.util.concurrent.Executor;

/**
 * A non-blocking {@link SocketChannel} registered on a {@link SelectorLoop}. Interest is set only
 * while someone waits (WANT_READ / WANT_WRITE) and cleared when readiness is delivered, so an idle
 * connection costs the selector nothing.
 */
public final class ChannelTransport implements TlsTransport {
  private final SocketChannel channel;
  private final SelectorLoop loop;
  private final String identity;
  private SelectionKey key;
  private Runnable waiter;

  /**
   * @param channel a connected channel; it is switched to non-blocking mode
   * @param loop the loop that will own it
   * @throws IOException if the channel cannot be configured
   */
  public ChannelTransport(SocketChannel channel, SelectorLoop loop) throws IOException {
    this.channel = Objects.requireNonNull(channel, "channel");
    this.loop = Objects.requireNonNull(loop, "loop");
    channel.configureBlocking(false);
    this.identity = address(channel.getLocalAddress()) + "->" + address(channel.getRemoteAddress());
  }

  private static String address(SocketAddress a) {
    String s = String.valueOf(a);
    return s.startsWith("/") ? s.substring(1) : s;
  }

  /** @return the channel */
  public SocketChannel channel() {
    return channel;
  }

  @Override
  public Executor executor() {
    return loop;
  }

  @Override
  public int read(ByteBuffer dst) throws IOException {
    return channel.read(dst);
  }

  @Override
  public int write(ByteBuffer src) throws IOException {
    return channel.write(src);
  }

  @Override
  public void awaitReadiness(boolean forWrite, Runnable onReady) {
    if (!channel.isOpen()) {
      // A closed channel never becomes ready: step again at once so the engine sees the error.
      loop.execute(onReady);
      return;
    }
    try {
      if (key == null) {
        key = loop.register(channel, this::ready);
      }
      waiter = onReady;
      key.interestOps(forWrite ? SelectionKey.OP_WRITE : SelectionKey.OP_READ);
    } catch (ClosedChannelException | java.nio.channels.CancelledKeyException e) {
      loop.execute(onReady);
    }
  }

  private void ready(SelectionKey k) {
    Runnable w = waiter;
    waiter = null;
    if (k.isValid()) {
      k.interestOps(0);
    }
    if (w != null) {
      w.run();
    }
  }

  @Override
  public void cancelReadiness() {
    waiter = null;
    if (key != null && key.isValid()) {
      key.interestOps(0);
    }
  }

  @Override
  public void close() {
    waiter = null;
    if (key != null) {
      key.cancel();
    }
    try {
      channel.close();
    } catch (IOException ignored) {
      // closing is best effort; the channel is unusable either way
    }
  }

  @Override
  public boolean isOpen() {
    return channel.isOpen();
  }

  @Override
  public String describe() {
    return identity;
  }
}
