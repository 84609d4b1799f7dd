package dev.graceful.core.spi;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The operations waiting on one transport, per direction: what an engine's {@link
 * ShutdownEngine#awaitReadiness} records and its transport's readiness wakes. Not thread-safe:
 * owned by the transport's executor (or guarded by the transport's lock).
 */
public final class Waiters {
  // Each direction holds null (nobody), the one waiter (the common case: a connection has one
  // operation waiting at a time), or an ArrayList of two or more. No list is kept per connection.
  private Object read;
  private Object write;

  /** Nobody waits yet. */
  public Waiters() {}

  /**
   * @param forWrite the direction
   * @param onReady the callback; added once (a callback waiting the other way moves here)
   */
  public void add(boolean forWrite, Runnable onReady) {
    Objects.requireNonNull(onReady, "onReady");
    if (forWrite) {
      write = with(write, onReady);
      read = without(read, onReady);
    } else {
      read = with(read, onReady);
      write = without(write, onReady);
    }
  }

  /**
   * @param onReady the callback to forget
   */
  public void remove(Runnable onReady) {
    read = without(read, onReady);
    write = without(write, onReady);
  }

  /**
   * @param forWrite the direction
   * @return the waiters of that direction, removed (the caller may run them; they may wait again)
   */
  public List<Runnable> take(boolean forWrite) {
    Object taken = forWrite ? write : read;
    if (forWrite) {
      write = null;
    } else {
      read = null;
    }
    return asList(taken);
  }

  /**
   * @return every waiter, removed
   */
  public List<Runnable> takeAll() {
    List<Runnable> readers = take(false);
    List<Runnable> writers = take(true);
    if (writers.isEmpty()) {
      return readers;
    }
    List<Runnable> out = new ArrayList<>(readers.size() + writers.size());
    out.addAll(readers);
    out.addAll(writers);
    return out;
  }

  /**
   * @return the selector interest these waiters need
   */
  public int interestOps() {
    return (read == null ? 0 : java.nio.channels.SelectionKey.OP_READ)
        | (write == null ? 0 : java.nio.channels.SelectionKey.OP_WRITE);
  }

  /**
   * @param forWrite the direction
   * @return true if someone waits in that direction
   */
  public boolean waits(boolean forWrite) {
    return (forWrite ? write : read) != null;
  }

  /**
   * @return true if nobody waits
   */
  public boolean isEmpty() {
    return read == null && write == null;
  }

  private static Object with(Object slot, Runnable r) {
    if (slot == null) {
      return r;
    }
    if (slot instanceof Runnable one) {
      if (one.equals(r)) {
        return one;
      }
      List<Runnable> two = new ArrayList<>(2);
      two.add(one);
      two.add(r);
      return two;
    }
    List<Runnable> many = list(slot);
    if (!many.contains(r)) {
      many.add(r);
    }
    return many;
  }

  private static Object without(Object slot, Runnable r) {
    if (slot == null) {
      return null;
    }
    if (slot instanceof Runnable one) {
      return one.equals(r) ? null : one;
    }
    List<Runnable> many = list(slot);
    many.remove(r);
    return many.size() == 1 ? many.get(0) : many; // never empty: it held two or more
  }

  private static List<Runnable> asList(Object slot) {
    if (slot == null) {
      return List.of();
    }
    return slot instanceof Runnable one ? List.of(one) : list(slot);
  }

  @SuppressWarnings("unchecked") // only this class stores lists in a slot, always of Runnable
  private static List<Runnable> list(Object slot) {
    return (List<Runnable>) slot;
  }
}
