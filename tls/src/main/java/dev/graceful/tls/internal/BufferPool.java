package dev.graceful.tls.internal;

import java.nio.ByteBuffer;

/**
 * Per-thread record buffers: three scratch buffers that the operations running on the thread borrow
 * in turn, and a free list of spare buffers. A connection holds buffers only while they hold bytes:
 * an idle connection, or one whose shutdown waits for the peer, holds none.
 *
 * <p>Borrowing the scratch stores nothing into the connection when the connection last borrowed the
 * same thread's scratch: its fields still point there. That matters to the garbage collector: a
 * connection is long-lived, and every reference stored into an old object costs a card mark and, in
 * G1, concurrent refinement on another core. Only an operation that ends with bytes left (a partial
 * record, an unwritten one) keeps the buffer: the thread's scratch then takes a spare.
 *
 * <p>An operation that starts while another one on the same thread has the scratch (a callback
 * nested in a delivery) takes spares from the free list instead. A {@link TlsEngine} runs on one
 * executor at a time, so a buffer is used by one engine at a time; a kept buffer may be taken on
 * one thread and given back on another (it then joins that thread's list). Each list is bounded:
 * buffers beyond the bound are left to the garbage collector.
 */
final class BufferPool {
  /** Capacity of pooled buffers: a full TLS or DTLS record (16,709 bytes in the JDK) fits. */
  static final int SLAB = 17 * 1024;

  /** Free buffers kept per thread (about 550 KB). */
  static final int PER_THREAD = 32;

  private static final ThreadLocal<BufferPool> LOCAL = ThreadLocal.withInitial(BufferPool::new);

  private final ByteBuffer[] free = new ByteBuffer[PER_THREAD];
  private int size;

  /** Scratch slots: network input, network output, decrypted input. */
  static final int NET_IN = 0;

  static final int NET_OUT = 1;
  static final int APP_IN = 2;

  // The scratch buffers, by slot: empty whenever no operation has them lent.
  private final ByteBuffer[] scratch = {
    ByteBuffer.allocate(SLAB), ByteBuffer.allocate(SLAB), ByteBuffer.allocate(SLAB)
  };
  private boolean lent;

  private BufferPool() {}

  /**
   * @return the calling thread's pool
   */
  static BufferPool local() {
    return LOCAL.get();
  }

  /**
   * @param capacity the least capacity needed
   * @return an empty buffer in write mode; pooled if {@code capacity} fits a slab
   */
  ByteBuffer take(int capacity) {
    if (capacity > SLAB) {
      return ByteBuffer.allocate(capacity);
    }
    if (size == 0) {
      return ByteBuffer.allocate(SLAB);
    }
    ByteBuffer b = free[--size];
    free[size] = null;
    return b;
  }

  /**
   * Gives a buffer back; it must not be used afterwards. Buffers of other capacities (grown for an
   * oversized record) are dropped.
   *
   * @param b the buffer, or null
   */
  void give(ByteBuffer b) {
    if (b != null && b.capacity() == SLAB && size < PER_THREAD) {
      b.clear();
      free[size++] = b;
    }
  }

  /**
   * Lends the scratch to the operation starting now, unless an operation on this thread already has
   * it.
   *
   * @return true if lent: the caller must {@link #endLoan()} when its operation returns
   */
  boolean lend() {
    if (lent) {
      return false;
    }
    lent = true;
    return true;
  }

  /**
   * Ends a loan: the scratch is empty again (what an operation kept was replaced by a spare, see
   * {@link #keep}).
   */
  void endLoan() {
    for (ByteBuffer b : scratch) {
      b.clear();
    }
    lent = false;
  }

  /**
   * @param slot {@link #NET_IN}, {@link #NET_OUT} or {@link #APP_IN}
   * @return that scratch buffer
   */
  ByteBuffer scratch(int slot) {
    return scratch[slot];
  }

  /**
   * The lent scratch buffer of {@code slot} keeps its bytes with its connection: a spare takes its
   * place.
   *
   * @param slot the slot
   */
  void keep(int slot) {
    scratch[slot] = take(SLAB);
  }

  /**
   * @return buffers free on this thread (for tests)
   */
  int free() {
    return size;
  }
}
