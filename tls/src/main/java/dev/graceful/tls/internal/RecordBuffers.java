package dev.graceful.tls.internal;

import java.nio.ByteBuffer;

/**
 * One connection's record buffers: network input, network output and decrypted input. An operation
 * brackets its work with {@link #hold()} and {@link #trim}; in between, the {@link RecordLayer}
 * works with the buffers. Between operations the connection keeps only the buffers that hold bytes;
 * the rest come from the loop thread's {@link BufferPool}. Confined to the engine's loop.
 */
final class RecordBuffers {
  // During an operation: the buffers it works with (see hold() and trim()). Between operations a
  // field either holds bytes and is the connection's own (ownsNetIn, ...), or is a leftover
  // reference to a thread's scratch, kept so that the next operation on that thread stores
  // nothing, or is null. A connection that is idle or waits for its peer owns none.
  private ByteBuffer netIn; // write mode: [0, position) not yet unwrapped
  private ByteBuffer netOut; // write mode: [0, position) not yet written
  private ByteBuffer appIn; // write mode: [0, position) decrypted, not yet delivered
  private boolean ownsNetIn;
  private boolean ownsNetOut;
  private boolean ownsAppIn;
  private final int packetSize;
  private final int applicationSize;

  /**
   * @param packetSize the engine's packet buffer size, for network input and output
   * @param applicationSize the engine's application buffer size, for decrypted input
   */
  RecordBuffers(int packetSize, int applicationSize) {
    this.packetSize = packetSize;
    this.applicationSize = applicationSize;
  }

  /**
   * Provides the record buffers an operation works with: those the connection owns (they hold
   * bytes), else the thread's scratch, else (an operation nested in another on this thread) spares.
   * A field already pointing at the buffer to use is not written.
   *
   * @return the pool whose scratch this operation borrowed, or null; hand it to {@link #trim}
   */
  BufferPool hold() {
    BufferPool pool = BufferPool.local();
    BufferPool lent = pool.lend() ? pool : null;
    if (!ownsNetIn) {
      ByteBuffer b = borrow(pool, lent, BufferPool.NET_IN, packetSize);
      if (netIn != b) {
        netIn = b;
      }
    }
    if (!ownsNetOut) {
      ByteBuffer b = borrow(pool, lent, BufferPool.NET_OUT, packetSize);
      if (netOut != b) {
        netOut = b;
      }
    }
    if (!ownsAppIn) {
      ByteBuffer b = borrow(pool, lent, BufferPool.APP_IN, applicationSize);
      if (appIn != b) {
        appIn = b;
      }
    }
    return lent;
  }

  /**
   * @return the scratch buffer of {@code slot} if lent and large enough, else a spare
   */
  private static ByteBuffer borrow(BufferPool pool, BufferPool lent, int slot, int size) {
    return lent != null && size <= BufferPool.SLAB ? lent.scratch(slot) : pool.take(size);
  }

  /**
   * Ends an operation: a buffer that holds bytes stays with the connection (a borrowed scratch
   * buffer is replaced in the thread's scratch by a spare), an empty one of its own or a spare goes
   * back to the pool, and the scratch is given back.
   *
   * @param lent what {@link #hold()} returned
   */
  void trim(BufferPool lent) {
    BufferPool pool = lent != null ? lent : BufferPool.local();
    ByteBuffer in = release(netIn, pool, lent, BufferPool.NET_IN);
    if (in != netIn) {
      netIn = in;
    }
    ownsNetIn = in != null && in.position() > 0;
    ByteBuffer out = release(netOut, pool, lent, BufferPool.NET_OUT);
    if (out != netOut) {
      netOut = out;
    }
    ownsNetOut = out != null && out.position() > 0;
    ByteBuffer app = release(appIn, pool, lent, BufferPool.APP_IN);
    if (app != appIn) {
      appIn = app;
    }
    ownsAppIn = app != null && app.position() > 0;
    if (lent != null) {
      lent.endLoan();
    }
  }

  /**
   * @return what the connection's field keeps after an operation: {@code b} if it holds bytes
   *     (taken out of the scratch if it was lent from there) or is the lent scratch buffer (a
   *     reference only, so that the next operation need not store one), else null ({@code b} given
   *     back)
   */
  private static ByteBuffer release(ByteBuffer b, BufferPool pool, BufferPool lent, int slot) {
    boolean fromScratch = lent != null && b == lent.scratch(slot);
    if (b.position() > 0) {
      if (fromScratch) {
        lent.keep(slot);
      }
      return b;
    }
    if (fromScratch) {
      return b;
    }
    pool.give(b);
    return null;
  }

  /**
   * @return bytes of buffer capacity held between operations (network in and out, plaintext in):
   *     zero unless a record is partly received, not yet written, or not yet delivered
   */
  int capacity() {
    return (ownsNetIn ? netIn.capacity() : 0)
        + (ownsNetOut ? netOut.capacity() : 0)
        + (ownsAppIn ? appIn.capacity() : 0);
  }

  /**
   * @return network input, in write mode: [0, position) not yet unwrapped; during an operation
   */
  ByteBuffer netIn() {
    return netIn;
  }

  /**
   * @return network output, in write mode: [0, position) not yet written; during an operation
   */
  ByteBuffer netOut() {
    return netOut;
  }

  /**
   * @return decrypted input, in write mode: [0, position) not yet delivered; during an operation
   */
  ByteBuffer appIn() {
    return appIn;
  }

  /**
   * Replaces network input by a larger copy.
   *
   * @param atLeast the room needed beyond the bytes held
   * @return the new buffer
   */
  ByteBuffer growNetIn(int atLeast) {
    netIn = grow(netIn, atLeast);
    return netIn;
  }

  /**
   * Replaces network output by a larger copy.
   *
   * @param atLeast the room needed beyond the bytes held
   * @return the new buffer
   */
  ByteBuffer growNetOut(int atLeast) {
    netOut = grow(netOut, atLeast);
    return netOut;
  }

  /**
   * Replaces decrypted input by a larger copy.
   *
   * @param atLeast the room needed beyond the bytes held
   * @return the new buffer
   */
  ByteBuffer growAppIn(int atLeast) {
    appIn = grow(appIn, atLeast);
    return appIn;
  }

  private static ByteBuffer grow(ByteBuffer b, int atLeast) {
    ByteBuffer bigger = ByteBuffer.allocate(Math.max(b.capacity() * 2, b.position() + atLeast));
    b.flip();
    bigger.put(b);
    return bigger;
  }
}
