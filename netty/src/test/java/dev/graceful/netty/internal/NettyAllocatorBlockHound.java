package dev.graceful.netty.internal;

import reactor.blockhound.BlockHound;
import reactor.blockhound.integration.BlockHoundIntegration;

/**
 * Netty 4.2.18's adaptive allocator takes a {@code StampedLock} when it grows its magazines, on the
 * event loop, and Netty's own BlockHound integration does not allow it. BlockHound then throws
 * inside whatever allocated: once in a few thousand server shutdowns with Netty's OpenSSL engine,
 * the {@code SslHandler}'s wrap of the close_notify. That is Netty's lock, held briefly, not a
 * blocking call of graceful's: allowed here, for the tests. Test code.
 */
public final class NettyAllocatorBlockHound implements BlockHoundIntegration {
  /** For the ServiceLoader. */
  public NettyAllocatorBlockHound() {}

  @Override
  public void applyTo(BlockHound.Builder builder) {
    builder.allowBlockingCallsInside(
        "io.netty.buffer.AdaptivePoolingAllocator$MagazineGroup", "tryExpandMagazines");
  }
}
