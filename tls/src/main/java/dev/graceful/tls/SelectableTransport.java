package dev.graceful.tls;

import dev.graceful.core.spi.Waiters;
import dev.graceful.core.spi.loop.SelectorLoop;
import java.io.IOException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;

/**
 * A channel registered on a {@link SelectorLoop}. Interest is set when someone waits (WANT_READ /
 * WANT_WRITE). Write interest is cleared as soon as it is delivered (a socket is almost always
 * writable). Read interest outlives the wait it was set for, until input arrives that nobody waits
 * for: a connection whose reads follow one another (a handshake, then a shutdown) then costs the
 * selector no interest change per wait, and an idle connection at most one wake-up, after which it
 * costs nothing.
 */
abstract sealed class SelectableTransport implements TlsTransport
    permits ChannelTransport, DatagramTransport {
  private final SelectableChannel channel;
  private final ByteChannel bytes;
  private final SelectorLoop loop;
  private final SocketAddress local;
  private final SocketAddress remote;
  private String identity; // made on first use: most connections end without being described
  private final Waiters waiters = new Waiters();
  private SelectionKey key;

  <C extends SelectableChannel & ByteChannel> SelectableTransport(
      C channel, SelectorLoop loop, SocketAddress local, SocketAddress remote) throws IOException {
    this.channel = Objects.requireNonNull(channel, "channel");
    this.bytes = channel;
    this.loop = Objects.requireNonNull(loop, "loop");
    this.local = local;
    this.remote = remote;
    channel.configureBlocking(false);
  }

  /** One write; for a datagram channel, one datagram (all of {@code src} or nothing). */
  @Override
  public int write(ByteBuffer src) throws IOException {
    return bytes.write(src);
  }

  @Override
  public final String describe() {
    String s = identity;
    if (s == null) {
      s = address(local) + "->" + address(remote);
      identity = s; // racing threads make equal strings
    }
    return s;
  }

  /**
   * @return true if bytes are already buffered by the transport itself, so reading can go on
   */
  boolean hasBufferedInput() {
    return false;
  }

  @Override
  public final Executor executor() {
    return loop;
  }

  @Override
  public final void awaitReadiness(boolean forWrite, Runnable onReady) {
    if (!channel.isOpen() || (!forWrite && hasBufferedInput())) {
      // A closed channel never becomes ready, buffered input needs no readiness: step again now.
      loop.execute(onReady);
      return;
    }
    try {
      if (key == null) {
        key = loop.register(channel, this::ready);
      }
      waiters.add(forWrite, onReady);
      key.interestOps(waiters.interestOps() | (key.interestOps() & SelectionKey.OP_READ));
    } catch (ClosedChannelException | CancelledKeyException e) {
      waiters.remove(onReady);
      loop.execute(onReady);
    }
  }

  private void ready(SelectionKey k) {
    boolean readable = k.isReadable();
    List<Runnable> readers = readable ? waiters.take(false) : List.of();
    List<Runnable> writers = k.isWritable() ? waiters.take(true) : List.of();
    if (k.isValid()) {
      // keep listening for input while it is being waited for; input nobody waited for stops it
      int keepRead = readable && readers.isEmpty() ? 0 : k.interestOps() & SelectionKey.OP_READ;
      k.interestOps(waiters.interestOps() | keepRead);
    }
    for (Runnable w : readers) {
      w.run();
    }
    for (Runnable w : writers) {
      w.run();
    }
  }

  @Override
  public final void cancelReadiness(Runnable onReady) {
    waiters.remove(onReady);
    if (key != null && key.isValid()) {
      key.interestOps(waiters.interestOps());
    }
  }

  @Override
  public final void close() {
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
      try {
        loop.execute(w); // they step again and see the closed channel
      } catch (java.util.concurrent.RejectedExecutionException stopped) {
        // a stopped loop runs nothing more: what waited was told by its deadline's refusal
        break;
      }
    }
  }

  /**
   * @return the interest registered with the selector now, which may include read interest kept
   *     from an earlier wait (for checks of the selector's state)
   */
  public final int selectorInterest() {
    SelectionKey k = key;
    return k == null || !k.isValid() ? 0 : k.interestOps();
  }

  /**
   * @return the selector interest currently needed (for leak checks)
   */
  public final int interestOps() {
    return waiters.interestOps();
  }

  @Override
  public final boolean isOpen() {
    return channel.isOpen();
  }

  static String address(SocketAddress a) {
    String s = String.valueOf(a);
    return s.startsWith("/") ? s.substring(1) : s;
  }
}
