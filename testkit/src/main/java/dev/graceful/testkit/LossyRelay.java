package dev.graceful.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiPredicate;

/**
 * A UDP relay on loopback between one client and a server, dropping the datagrams a rule picks.
 * Test code: one plain thread, blocking I/O, stopped by {@link #close()}.
 */
public final class LossyRelay implements AutoCloseable {
  private final DatagramChannel socket;
  private final InetSocketAddress server;
  private volatile BiPredicate<Boolean, ByteBuffer> drop; // (toServer, datagram) -> drop?
  private final Thread thread;
  private volatile SocketAddress client;

  /** Datagrams dropped so far. */
  public final AtomicInteger dropped = new AtomicInteger();

  /** Datagrams relayed so far. */
  public final AtomicInteger relayed = new AtomicInteger();

  /** Relays between one client and {@code server}, dropping what {@code drop} picks. */
  public LossyRelay(InetSocketAddress server, BiPredicate<Boolean, ByteBuffer> drop) {
    this.server = server;
    this.drop = drop;
    try {
      socket = DatagramChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    thread = new Thread(this::run, "lossy-relay");
    thread.setDaemon(true);
    thread.start();
  }

  /**
   * @param rule the new drop rule, effective for the next datagram
   */
  public void drop(BiPredicate<Boolean, ByteBuffer> rule) {
    drop = rule;
  }

  /**
   * @return where clients send
   */
  public InetSocketAddress address() {
    try {
      return (InetSocketAddress) socket.getLocalAddress();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void run() {
    ByteBuffer buf = ByteBuffer.allocate(65_535);
    try {
      while (socket.isOpen()) {
        buf.clear();
        SocketAddress from = socket.receive(buf);
        buf.flip();
        boolean toServer = !from.equals(server);
        if (toServer) {
          client = from;
        }
        if (drop.test(toServer, buf.duplicate())) {
          dropped.incrementAndGet();
          continue;
        }
        SocketAddress to = toServer ? server : client;
        if (to != null) {
          socket.send(buf, to);
          relayed.incrementAndGet();
        }
      }
    } catch (IOException closed) {
      // stopped
    }
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException ignored) {
      // nothing to do
    }
  }

  /** A DTLS alert record (content type 21): close_notify travels as one. */
  public static boolean isAlert(ByteBuffer d) {
    return d.remaining() > 13 && d.get(0) == 21;
  }
}
