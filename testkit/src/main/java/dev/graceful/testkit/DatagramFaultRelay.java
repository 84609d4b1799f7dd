package dev.graceful.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A UDP relay on loopback between one client and a server that, once {@link #faults armed}, drops,
 * reorders and duplicates datagrams at random from a seed, or drops everything ({@link
 * #silence()}). Until then it forwards everything, so handshakes complete and the faults hit what
 * follows (a close, a drain). Test code: one plain thread, blocking I/O, stopped and joined by
 * {@link #close()}.
 */
public final class DatagramFaultRelay implements AutoCloseable {
  /**
   * What happens to each datagram once armed: each probability is drawn independently per datagram,
   * in both directions.
   *
   * @param loss the probability that a datagram is dropped
   * @param reorder the probability that a datagram is held back and sent after the next one
   * @param duplicate the probability that a datagram is sent twice
   */
  public record Faults(double loss, double reorder, double duplicate) {
    /** No fault. */
    public static final Faults NONE = new Faults(0, 0, 0);
  }

  private final DatagramChannel socket;
  private final InetSocketAddress server;
  private final Random random;
  private final Thread thread;
  private volatile Faults faults = Faults.NONE;
  private volatile boolean silent;
  private SocketAddress client;
  private ByteBuffer held;
  private SocketAddress heldTo;

  /** Datagrams dropped so far. */
  public final AtomicInteger dropped = new AtomicInteger();

  /** Datagrams sent out of order so far. */
  public final AtomicInteger reordered = new AtomicInteger();

  /** Datagrams sent twice so far. */
  public final AtomicInteger duplicated = new AtomicInteger();

  /**
   * @param server where the client's datagrams go
   * @param seed the faults' random seed
   */
  public DatagramFaultRelay(InetSocketAddress server, long seed) {
    this.server = server;
    this.random = new Random(seed);
    try {
      socket = DatagramChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    thread = new Thread(this::run, "datagram-fault-relay");
    thread.setDaemon(true);
    thread.start();
  }

  /**
   * @return where the client sends
   */
  public InetSocketAddress address() {
    try {
      return (InetSocketAddress) socket.getLocalAddress();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * @param armed the faults applied from the next datagram on
   */
  public void faults(Faults armed) {
    faults = armed;
  }

  /** Drops every datagram from now on. */
  public void silence() {
    silent = true;
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
        SocketAddress to = toServer ? server : client;
        if (to == null) {
          continue;
        }
        if (silent) {
          dropped.incrementAndGet();
          continue;
        }
        relay(buf, to, faults);
      }
    } catch (IOException closed) {
      // stopped
    }
  }

  private void relay(ByteBuffer datagram, SocketAddress to, Faults f) throws IOException {
    if (f.loss() > 0 && random.nextDouble() < f.loss()) {
      dropped.incrementAndGet();
      return;
    }
    if (held == null && f.reorder() > 0 && random.nextDouble() < f.reorder()) {
      held = ByteBuffer.allocate(datagram.remaining()).put(datagram).flip();
      heldTo = to;
      reordered.incrementAndGet();
      return;
    }
    boolean twice = f.duplicate() > 0 && random.nextDouble() < f.duplicate();
    socket.send(datagram.duplicate(), to);
    if (twice) {
      socket.send(datagram.duplicate(), to);
      duplicated.incrementAndGet();
    }
    if (held != null) { // sent after the one that came later
      socket.send(held, heldTo);
      held = null;
    }
  }

  /** Closes the socket and waits (at most a second) for the relay's thread to end. */
  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException ignored) {
      // nothing to do
    }
    try {
      thread.join(1_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
