package dev.graceful.tls;

import dev.graceful.core.spi.Waiters;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;

/**
 * A memory transport, OpenSSL's BIO pair (T13): the caller moves bytes. {@link #offer} feeds bytes
 * from the peer, {@link #take} removes bytes for the peer. An engine waiting on WANT_READ or
 * WANT_WRITE steps again as soon as the caller has moved bytes. The outbound side holds at most
 * {@code capacity} bytes, so an engine whose bytes are not taken sees WANT_WRITE, as with a full
 * socket buffer. {@link #offer}, {@link #endOfInput} and {@link #take} are safe from any thread.
 */
public final class MemoryTransport implements TlsTransport {
  /** Default capacity of the outbound side, in bytes. */
  public static final int DEFAULT_CAPACITY = 64 * 1024;

  private final Executor executor;
  private final String identity;
  private final int capacity;
  private ByteBuffer inbound = ByteBuffer.allocate(0); // read mode; guarded by this
  private final ByteBuffer outbound; // write mode; guarded by this
  private boolean inputEnded; // guarded by this
  private boolean open = true; // guarded by this
  private final Waiters waiters = new Waiters(); // guarded by this

  /**
   * @param executor the executor the engine runs on (a selector loop, or any serial executor)
   * @param identity a name for results and errors
   * @param capacity the outbound capacity in bytes
   */
  public MemoryTransport(Executor executor, String identity, int capacity) {
    this.executor = Objects.requireNonNull(executor, "executor");
    this.identity = Objects.requireNonNull(identity, "identity");
    if (capacity < 64) {
      throw new IllegalArgumentException("capacity must be at least 64 bytes: " + capacity);
    }
    this.capacity = capacity;
    this.outbound = ByteBuffer.allocate(capacity);
  }

  /**
   * @param executor the executor the engine runs on
   * @param identity a name for results and errors
   * @return a transport with the default capacity
   */
  public static MemoryTransport create(Executor executor, String identity) {
    return new MemoryTransport(executor, identity, DEFAULT_CAPACITY);
  }

  /**
   * Feeds bytes that arrived from the peer; the engine steps again if it was waiting to read.
   *
   * @param bytes copied; the buffer's position moves to its limit
   */
  public void offer(ByteBuffer bytes) {
    List<Runnable> wake;
    synchronized (this) {
      if (inputEnded) {
        throw new IllegalStateException("input already ended");
      }
      ByteBuffer grown = ByteBuffer.allocate(inbound.remaining() + bytes.remaining());
      grown.put(inbound).put(bytes).flip();
      inbound = grown;
      wake = waiters.take(false);
    }
    run(wake);
  }

  /** Signals end of stream from the peer (a TCP FIN); the engine steps again if waiting. */
  public void endOfInput() {
    List<Runnable> wake;
    synchronized (this) {
      inputEnded = true;
      wake = waiters.take(false);
    }
    run(wake);
  }

  /**
   * Removes every byte the engine wrote; the engine steps again if it was waiting to write.
   *
   * @return the bytes, in read mode (empty if none)
   */
  public ByteBuffer take() {
    ByteBuffer out;
    List<Runnable> wake;
    synchronized (this) {
      outbound.flip();
      out = ByteBuffer.allocate(outbound.remaining()).put(outbound).flip();
      outbound.clear();
      wake = waiters.take(true);
    }
    run(wake);
    return out;
  }

  /**
   * @return true while an engine waits on this transport for readiness
   */
  public synchronized boolean isAwaitingReadiness() {
    return !waiters.isEmpty();
  }

  /**
   * @return bytes waiting to be taken
   */
  public synchronized int pendingOutbound() {
    return outbound.position();
  }

  @Override
  public Executor executor() {
    return executor;
  }

  @Override
  public synchronized int read(ByteBuffer dst) throws IOException {
    if (!open) {
      throw new ClosedChannelException();
    }
    if (!inbound.hasRemaining()) {
      return inputEnded ? -1 : 0;
    }
    int n = Math.min(dst.remaining(), inbound.remaining());
    ByteBuffer slice = inbound.slice().limit(n);
    dst.put(slice);
    inbound.position(inbound.position() + n);
    return n;
  }

  @Override
  public synchronized int write(ByteBuffer src) throws IOException {
    if (!open) {
      throw new ClosedChannelException();
    }
    int n = Math.min(src.remaining(), outbound.remaining());
    ByteBuffer slice = src.slice().limit(n);
    outbound.put(slice);
    src.position(src.position() + n);
    return n;
  }

  @Override
  public void awaitReadiness(boolean forWrite, Runnable onReady) {
    boolean now;
    synchronized (this) {
      now =
          !open
              || (forWrite ? outbound.position() < capacity : inbound.hasRemaining() || inputEnded);
      if (!now) {
        waiters.add(forWrite, onReady);
      }
    }
    if (now) {
      executor.execute(onReady);
    }
  }

  @Override
  public synchronized void cancelReadiness(Runnable onReady) {
    waiters.remove(onReady);
  }

  @Override
  public void close() {
    List<Runnable> wake;
    synchronized (this) {
      open = false;
      wake = waiters.takeAll();
    }
    run(wake);
  }

  @Override
  public synchronized boolean isOpen() {
    return open;
  }

  @Override
  public String describe() {
    return identity;
  }

  private void run(List<Runnable> wake) {
    for (Runnable w : wake) {
      executor.execute(w);
    }
  }
}
