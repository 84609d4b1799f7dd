package dev.graceful.benchmarks.faults;

import java.nio.ByteBuffer;
import java.util.function.Consumer;
import java.util.zip.CRC32;

/**
 * A {@code readInto} consumer that keeps nothing but a count and a checksum, so a flood cannot grow
 * the heap through it; checks that what arrived is a prefix of what the peer sent.
 */
final class Sink implements Consumer<ByteBuffer> {
  private long count;
  private final CRC32 crc = new CRC32();

  @Override
  public synchronized void accept(ByteBuffer b) {
    count += b.remaining();
    crc.update(b.duplicate());
  }

  synchronized long count() {
    return count;
  }

  /**
   * @param sent what the peer's application sent
   * @return null when what arrived is {@code sent}'s first bytes, otherwise what is wrong
   */
  synchronized String prefixOf(byte[] sent) {
    if (count > sent.length) {
      return "received " + count + " bytes, more than the " + sent.length + " sent";
    }
    CRC32 expected = new CRC32();
    expected.update(sent, 0, (int) count);
    if (expected.getValue() != crc.getValue()) {
      return "the " + count + " bytes received differ from those sent";
    }
    return null;
  }

  /** Random bytes of a random length in [min, max], from {@code rnd}. */
  static byte[] payload(java.util.Random rnd, int min, int max) {
    byte[] b = new byte[min + rnd.nextInt(max - min + 1)];
    rnd.nextBytes(b);
    return b;
  }
}
