package dev.graceful.tls;

import dev.graceful.core.spi.loop.SelectorLoop;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/** A non-blocking TCP {@link SocketChannel} on a selector loop of a {@code LoopGroup}. */
public final class ChannelTransport extends SelectableTransport {
  private final SocketChannel channel;
  private boolean received; // loop only

  /**
   * @param channel a connected channel; it is switched to non-blocking mode
   * @param loop the loop that will own it
   * @throws IOException if the channel cannot be configured
   */
  ChannelTransport(SocketChannel channel, SelectorLoop loop) throws IOException {
    super(channel, loop, channel.getLocalAddress(), channel.getRemoteAddress());
    this.channel = channel;
  }

  /**
   * @return the channel
   */
  public SocketChannel channel() {
    return channel;
  }

  @Override
  public int read(ByteBuffer dst) throws IOException {
    int n = channel.read(dst);
    if (n > 0) {
      received = true;
    }
    return n;
  }

  /**
   * @return true once a byte was read: the peer has begun its part (a hello); loop only
   */
  boolean hasReceived() {
    return received;
  }
}
