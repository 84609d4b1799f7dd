package dev.graceful.tls;

import dev.graceful.core.spi.SelectorLoop;
import java.io.IOException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import dev.graceful.tls.internal.Waiters;
import java.util.ArrayList;
import java.util.List;
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
  private final Waiters waiters = new Waiters();

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
      waiters.add(forWrite, onReady);
      key.interestOps(waiters.interestOps());
    } catch (ClosedChannelException | CancelledKeyException e) {
      waiters.remove(onReady);
      loop.execute(onReady);
    }
  }

  private void ready(SelectionKey k) {
    List<Runnable> wake = new ArrayList<>(2);
    if (k.isReadable()) {
      wake.addAll(waiters.take(false));
    }
    if (k.isWritable()) {
      wake.addAll(waiters.take(true));
    }
    if (k.isValid()) {
      k.interestOps(waiters.interestOps());
    }
    for (Runnable w : wake) {
      w.run();
    }
  }

  @Override
  public void cancelReadiness(Runnable onReady) {
    waiters.remove(onReady);
    if (key != null && key.isValid()) {
      key.interestOps(waiters.interestOps());
    }
  }

  @Override
  public void close() {
    List<Runnable> wake = waiters.takeAll();
    if (key != null) {
      key.cancel();
    }
    try {
      channel.close();
    } catch (IOException ignored) {
      // closing is best effort; the channel is unusable either way
    }
    for (Runnable w : wake) {
      loop.execute(w); // they step again and see the closed channel
    }
  }

  /** @return the selector interest currently needed (for leak checks) */
  public int interestOps() {
    return waiters.interestOps();
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
