package dev.graceful.core.internal;

import dev.graceful.core.spi.loop.SelectorLoop;
import reactor.blockhound.BlockHound;
import reactor.blockhound.integration.BlockHoundIntegration;

/**
 * Tells BlockHound that a selector loop's wait for readiness is its one legitimate block, as
 * Netty's integration does for its event loops. Loaded by BlockHound's service loader.
 */
public final class LoopBlockHoundIntegration implements BlockHoundIntegration {
  @Override
  public void applyTo(BlockHound.Builder builder) {
    builder.allowBlockingCallsInside(SelectorLoop.class.getName(), "awaitReadiness");
    builder.allowBlockingCallsInside(SelectorLoop.class.getName(), "census");
  }
}
