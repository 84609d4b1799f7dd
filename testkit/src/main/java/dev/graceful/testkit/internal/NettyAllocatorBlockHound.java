package dev.graceful.testkit.internal;

import reactor.blockhound.BlockHound;
import reactor.blockhound.integration.BlockHoundIntegration;

/**
 * Netty 4.2.18's adaptive allocator takes a {@code StampedLock} when it grows its magazines, on the
 * event loop, and Netty's own BlockHound integration does not allow it. BlockHound then throws
 * inside whatever allocated: the {@code SslHandler}'s wrap of a close_notify, or a response being
 * written (which then fails with a 500). That is Netty's lock, held briefly, not a blocking call of
 * graceful's: allowed in every test run that has this kit and BlockHound on its class path (the
 * ServiceLoader finds it), whichever module's.
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
