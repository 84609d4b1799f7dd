package dev.graceful.tls;

import dev.graceful.core.spi.loop.SelectorLoop;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;

/**
 * A connected, non-blocking {@link DatagramChannel} on a selector loop, for DTLS. Each write is one
 * datagram (DTLS allows several records in one); each datagram read is kept whole and handed out as
 * it fits, so no datagram is ever truncated by a small buffer. UDP has no end of stream.
 */
public final class DatagramTransport extends SelectableTransport {
  /** The largest UDP payload. */
  static final int MAX_DATAGRAM = 65_535;

  private final DatagramChannel channel;
  private final ByteBuffer received = ByteBuffer.allocate(MAX_DATAGRAM).flip(); // read mode

  /**
   * @param channel a connected channel; it is switched to non-blocking mode
   * @param loop the loop that will own it
   * @throws IOException if the channel cannot be configured
   */
  DatagramTransport(DatagramChannel channel, SelectorLoop loop) throws IOException {
    super(channel, loop, channel.getLocalAddress(), connected(channel).getRemoteAddress());
    this.channel = channel;
  }

  @Override
  boolean hasBufferedInput() {
    return received.hasRemaining();
  }

  @Override
  public int read(ByteBuffer dst) throws IOException {
    if (!received.hasRemaining()) {
      received.clear();
      int n = channel.read(received);
      received.flip();
      if (n <= 0) {
        return 0;
      }
    }
    int n = Math.min(dst.remaining(), received.remaining());
    dst.put(received.slice().limit(n));
    received.position(received.position() + n);
    return n;
  }

  private static DatagramChannel connected(DatagramChannel channel) {
    if (!channel.isConnected()) {
      throw new IllegalArgumentException("a DatagramTransport needs a connected channel");
    }
    return channel;
  }
}
