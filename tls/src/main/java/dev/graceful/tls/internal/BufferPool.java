package dev.graceful.tls.internal;

import java.nio.ByteBuffer;

/**
 * Per-thread free lists of record-sized heap buffers, so that a connection holds buffers only while
 * they hold bytes: an idle connection, or one whose shutdown waits for the peer, holds none.
 *
 * <p>A {@link TlsEngine} runs on one executor at a time, so a buffer is used by one engine at a
 * time; it may be taken on one thread and given back on another (it then joins that thread's
 * list). Each list is bounded: a loop needs only a few buffers at once (one engine steps at a time),
 * and buffers beyond the bound are left to the garbage collector.
 */
final class BufferPool {
  /** Capacity of pooled buffers: a full TLS or DTLS record (16,709 bytes in the JDK) fits. */
  static final int SLAB = 17 * 1024;

  /** Free buffers kept per thread (about 550 KB). */
  static final int PER_THREAD = 32;

  private static final ThreadLocal<BufferPool> LOCAL = ThreadLocal.withInitial(BufferPool::new);

  private final ByteBuffer[] free = new ByteBuffer[PER_THREAD];
  private int size;

  private BufferPool() {}

  /** @return the calling thread's pool */
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

  /** @return buffers free on this thread (for tests) */
  int free() {
    return size;
  }
}
