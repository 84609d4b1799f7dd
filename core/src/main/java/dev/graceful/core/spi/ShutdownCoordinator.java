package dev.graceful.core.spi;

import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownSpec;
import reactor.core.publisher.Mono;

/**
 * One per connection: makes shutdown idempotent (T12, R1). Subscribers of the same spec while an
 * exchange is running share it; a different spec waits for the running one to end, then continues
 * from the state it left ("calling SSL_shutdown() again"). Each subscription's deadline counts from
 * that subscription, waiting included: one still waiting at its deadline ends then. A subscriber
 * arriving after an exchange ended starts a new one, which continues from the engine's state: after
 * {@code COMPLETE} it answers {@code COMPLETE} at once, after a timeout it tries again. Nothing is
 * sent twice because the engine's own state decides what is still to send.
 */
public final class ShutdownCoordinator {
  private final ExchangeSlot slot;

  /**
   * @param engine the connection's engine
   */
  public ShutdownCoordinator(ShutdownEngine engine) {
    this.slot = new ExchangeSlot(engine);
  }

  /**
   * @param spec the policy
   * @return the cold shutdown
   */
  public Mono<ShutdownResult> shutdown(ShutdownSpec spec) {
    return slot.shutdown(spec);
  }
}
