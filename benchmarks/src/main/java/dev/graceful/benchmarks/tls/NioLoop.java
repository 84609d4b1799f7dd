package dev.graceful.benchmarks.tls;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Consumer;

/**
 * The hand-written limit: one thread, one selector, a task queue, and scratch buffers shared by
 * every connection on the thread. Used for the raw server stack and for the load-generating client,
 * which is the same for every server stack.
 */
final class NioLoop implements AutoCloseable {
  private final Selector selector;
  private final Thread thread;
  private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
  private volatile boolean closed;

  /** Wake-ups of the selector with at least one ready key, and the keys they handled. */
  private volatile long wakeups;

  private volatile long keys;

  /** Scratch: network input (leftover + a read), network output, plaintext; loop thread only. */
  final ByteBuffer netIn = ByteBuffer.allocate(2 * 34 * 1024);

  final ByteBuffer netOut = ByteBuffer.allocate(34 * 1024);
  final ByteBuffer app = ByteBuffer.allocate(34 * 1024);

  NioLoop(String name) {
    try {
      selector = Selector.open();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    thread = new Thread(this::run, name);
    thread.setDaemon(true);
    thread.start();
  }

  void execute(Runnable task) {
    tasks.add(task);
    selector.wakeup();
  }

  /**
   * Registers (or re-targets an existing key) on the loop thread; ready keys call {@code handler}.
   */
  SelectionKey register(SelectableChannel ch, int ops, Consumer<SelectionKey> handler)
      throws IOException {
    SelectionKey k = ch.keyFor(selector);
    if (k != null) {
      k.attach(handler);
      k.interestOps(ops);
      return k;
    }
    return ch.register(selector, ops, handler);
  }

  @SuppressWarnings("unchecked")
  private void run() {
    while (!closed) {
      try {
        int n = selector.select(k -> ((Consumer<SelectionKey>) k.attachment()).accept(k));
        if (n > 0) {
          wakeups = wakeups + 1; // written by this thread only
          keys = keys + n;
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      Runnable t;
      while ((t = tasks.poll()) != null) {
        t.run();
      }
    }
    try {
      selector.close();
    } catch (IOException ignored) {
      // closing
    }
  }

  /**
   * @return {@code [wake-ups with ready keys, keys handled]} so far
   */
  long[] readiness() {
    return new long[] {wakeups, keys};
  }

  @Override
  public void close() {
    closed = true;
    selector.wakeup();
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
