package dev.graceful.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Function;

/**
 * A TLS relay on loopback (TCP, forwarding whole TLS records) between one client and a server that
 * injects faults on command: a bare end of stream (FIN without close_notify), a reset (RST),
 * silence (nothing forwarded any more), bytes injected towards the client, and TLS records
 * rewritten on their way to the client.
 *
 * <p>Test code: plain threads and blocking I/O (one accepting the client, one per direction),
 * stopped and joined by {@link #close()}. One client connection per relay.
 */
public final class FaultRelay implements AutoCloseable {
  private final ServerSocket listener;
  private final InetSocketAddress target;
  private final List<Thread> threads = new ArrayList<>();
  private volatile Socket client;
  private volatile Socket server;
  private volatile boolean silent;
  private static final int TO_SERVER = 0;
  private static final int TO_CLIENT = 1;
  private final AtomicReferenceArray<Function<byte[], List<byte[]>>> rewrites =
      new AtomicReferenceArray<>(2);
  private final Object[] writeLocks = {new Object(), new Object()};
  private final Object linked = new Object();

  /** Bytes forwarded to the server so far. */
  public final AtomicLong toServer = new AtomicLong();

  /** Bytes forwarded to the client so far (injected ones included). */
  public final AtomicLong toClient = new AtomicLong();

  /**
   * Listens on an ephemeral loopback port; the first client accepted is connected to {@code
   * target}.
   *
   * @param target the server
   */
  public FaultRelay(InetSocketAddress target) {
    this.target = target;
    try {
      listener = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    start(this::accept, "fault-relay-accept");
  }

  /**
   * @return where the client connects
   */
  public InetSocketAddress address() {
    return new InetSocketAddress(listener.getInetAddress(), listener.getLocalPort());
  }

  /**
   * @return the local port of the relay's connection to the server (what the server sees as its
   *     peer's port), or -1 before the client connected
   */
  public int upstreamPort() {
    Socket s = server;
    return s == null ? -1 : s.getLocalPort();
  }

  private void start(Runnable task, String name) {
    Thread t = new Thread(task, name);
    t.setDaemon(true);
    synchronized (threads) {
      threads.add(t);
    }
    t.start();
  }

  private void accept() {
    try {
      Socket c = listener.accept();
      c.setTcpNoDelay(true);
      Socket s = new Socket();
      s.setTcpNoDelay(true);
      s.connect(target, 10_000);
      synchronized (linked) {
        client = c;
        server = s;
        linked.notifyAll();
      }
      start(() -> pump(c, s, TO_SERVER), "fault-relay-up");
      start(() -> pump(s, c, TO_CLIENT), "fault-relay-down");
    } catch (IOException closed) {
      // the relay was closed before a client came
    } finally {
      try {
        listener.close();
      } catch (IOException ignored) {
        // nothing to do
      }
    }
  }

  private void pump(Socket from, Socket to, int direction) {
    try {
      InputStream in = from.getInputStream();
      byte[] header = new byte[5];
      for (; ; ) {
        // one whole TLS record at a time, passed through the rewrite if there is one
        int got = readFully(in, header, 0, 5);
        if (got < 5) {
          forward(to, direction, Arrays.copyOf(header, got)); // what there was of it
          break;
        }
        int length = ((header[3] & 0xff) << 8) | (header[4] & 0xff);
        byte[] record = Arrays.copyOf(header, 5 + length);
        got = readFully(in, record, 5, length);
        if (got < length) {
          forward(to, direction, Arrays.copyOf(record, 5 + got)); // what there was of it
          break;
        }
        Function<byte[], List<byte[]>> rewrite = rewrites.get(direction);
        if (rewrite == null) {
          forward(to, direction, record);
          continue;
        }
        for (byte[] out : rewrite.apply(record)) {
          if (out == null) { // the rewrite asks for a bare end of stream here
            end(to);
            return;
          }
          forward(to, direction, out);
        }
      }
      end(to);
    } catch (IOException ended) {
      // reset (or closed by the relay): the other side is reset too, as a router would pass it on
      if (!silent) {
        try {
          to.setSoLinger(true, 0);
          to.close();
        } catch (IOException ignored) {
          // gone already
        }
      }
    }
  }

  private void end(Socket to) throws IOException {
    if (!silent) {
      to.shutdownOutput();
    }
  }

  /** Reads up to {@code len} bytes, fewer only at the end of the stream; returns how many. */
  private static int readFully(InputStream in, byte[] b, int off, int len) throws IOException {
    int done = 0;
    while (done < len) {
      int n = in.read(b, off + done, len - done);
      if (n < 0) {
        return done;
      }
      done += n;
    }
    return done;
  }

  private void forward(Socket to, int direction, byte[] bytes) throws IOException {
    if (silent || bytes.length == 0) {
      return;
    }
    synchronized (writeLocks[direction]) {
      to.getOutputStream().write(bytes);
      (direction == TO_SERVER ? toServer : toClient).addAndGet(bytes.length);
    }
  }

  /**
   * Waits until a client is connected through to the server.
   *
   * @param millis at most this long
   * @return whether it is
   */
  public boolean awaitLinked(long millis) {
    long deadline = System.currentTimeMillis() + millis;
    synchronized (linked) {
      while (client == null) {
        long left = deadline - System.currentTimeMillis();
        if (left <= 0) {
          return false;
        }
        try {
          linked.wait(left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return false;
        }
      }
      return true;
    }
  }

  /**
   * From now on, every TLS record going to the client ({@code toClient}) or to the server passes
   * through {@code rewrite}, which returns what is sent instead (nothing, the record, several
   * records, random bytes); a {@code null} element ends that direction there with a bare FIN. Takes
   * effect from the next record the relay has read whole.
   *
   * @param toClient the direction
   * @param rewrite the rewrite, or null to forward bytes as they come
   */
  public void rewrite(boolean toClient, Function<byte[], List<byte[]>> rewrite) {
    rewrites.set(toClient ? TO_CLIENT : TO_SERVER, rewrite);
  }

  /**
   * Writes {@code bytes} to the client ({@code toClient}) or the server now, between whatever the
   * relay forwards that way.
   *
   * @param toClient the direction
   * @param bytes what to inject
   */
  public void inject(boolean toClient, byte[] bytes) {
    Socket to = toClient ? client : server;
    if (to == null) {
      throw new IllegalStateException("no client connected");
    }
    try {
      forward(to, toClient ? TO_CLIENT : TO_SERVER, bytes);
    } catch (IOException e) {
      // that side is gone: nothing to inject into
    }
  }

  /** Stops forwarding in both directions; the sockets stay open and what arrives is dropped. */
  public void silence() {
    silent = true;
  }

  /** Ends both connections with a FIN (a bare end of stream, no close_notify). */
  public void cut() {
    for (Socket s : new Socket[] {client, server}) {
      if (s != null) {
        try {
          s.shutdownOutput();
        } catch (IOException ignored) {
          // already gone
        }
      }
    }
  }

  /** Resets both connections (RST, SO_LINGER 0). */
  public void reset() {
    for (Socket s : new Socket[] {client, server}) {
      if (s != null) {
        try {
          s.setSoLinger(true, 0);
          s.close();
        } catch (IOException ignored) {
          // already gone
        }
      }
    }
  }

  private void closeSockets() {
    for (Socket s : new Socket[] {client, server}) {
      if (s != null) {
        try {
          s.close();
        } catch (IOException ignored) {
          // nothing to do
        }
      }
    }
  }

  /** Closes everything and waits (at most a second each) for the relay's threads to end. */
  @Override
  public void close() {
    try {
      listener.close();
    } catch (IOException ignored) {
      // nothing to do
    }
    closeSockets();
    int joined = 0;
    for (; ; ) { // the accepting thread may start the pumps while this runs: join until none is new
      List<Thread> all;
      synchronized (threads) {
        if (joined == threads.size()) {
          return;
        }
        all = List.copyOf(threads.subList(joined, threads.size()));
      }
      for (Thread t : all) {
        try {
          t.join(1_000);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
        closeSockets();
      }
      joined += all.size();
    }
  }
}
