package dev.graceful.core.spi;

import java.util.ArrayList;
import java.util.List;

/**
 * The operations waiting on one transport, per direction: what an engine's {@link
 * ShutdownEngine#awaitReadiness} records and its transport's readiness wakes. Not thread-safe:
 * owned by the transport's executor (or guarded by the transport's lock).
 */
public final class Waiters {
  private final List<Runnable> read = new ArrayList<>(2);
  private final List<Runnable> write = new ArrayList<>(2);

  /** Nobody waits yet. */
  public Waiters() {}

  /**
   * @param forWrite the direction
   * @param onReady the callback; added once
   */
  public void add(boolean forWrite, Runnable onReady) {
    List<Runnable> list = forWrite ? write : read;
    if (!list.contains(onReady)) {
      list.add(onReady);
    }
    (forWrite ? read : write).remove(onReady);
  }

  /** @param onReady the callback to forget */
  public void remove(Runnable onReady) {
    read.remove(onReady);
    write.remove(onReady);
  }

  /**
   * @param forWrite the direction
   * @return the waiters of that direction, removed
   */
  public List<Runnable> take(boolean forWrite) {
    List<Runnable> list = forWrite ? write : read;
    if (list.isEmpty()) {
      return List.of();
    }
    List<Runnable> out = List.copyOf(list);
    list.clear();
    return out;
  }

  /** @return every waiter, removed */
  public List<Runnable> takeAll() {
    List<Runnable> out = new ArrayList<>(take(false));
    out.addAll(take(true));
    return out;
  }

  /** @return the selector interest these waiters need */
  public int interestOps() {
    return (read.isEmpty() ? 0 : java.nio.channels.SelectionKey.OP_READ)
        | (write.isEmpty() ? 0 : java.nio.channels.SelectionKey.OP_WRITE);
  }

  /**
   * @param forWrite the direction
   * @return true if someone waits in that direction
   */
  public boolean waits(boolean forWrite) {
    return !(forWrite ? write : read).isEmpty();
  }

  /** @return true if nobody waits */
  public boolean isEmpty() {
    return read.isEmpty() && write.isEmpty();
  }
}
