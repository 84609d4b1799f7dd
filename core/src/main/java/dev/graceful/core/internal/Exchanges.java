package dev.graceful.core.internal;

import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.core.TransportPolicy;
import dev.graceful.core.spi.ShutdownEngine;
import reactor.core.publisher.Mono;
import reactor.core.publisher.SignalType;

/** Builds the Mono of one exchange: the step driver (with its deadline) and its transport policy. */
public final class Exchanges {
  private Exchanges() {}

  /**
   * @param engine the connection's engine
   * @param spec the policy
   * @return a cold Mono running one exchange each time it is subscribed
   */
  public static Mono<ShutdownResult> exchange(ShutdownEngine engine, ShutdownSpec spec) {
    Mono<ShutdownResult> run =
        Mono.create(
            sink -> {
              // the deadline counts from here, the subscription, as Mono.timeout would
              StepDriver driver = new StepDriver(engine, spec, sink);
              // only a cancel (the caller's) leaves a driver to withdraw: a driver that ended,
              // deadline included, did so itself and needs no extra loop task
              sink.onCancel(() -> engine.executor().execute(driver::abandon));
              engine.executor().execute(driver::step);
            });
    TransportPolicy policy = spec.transportPolicy();
    if (policy == TransportPolicy.KEEP_OPEN) {
      return run;
    }
    return run.doFinally(
        signal -> {
          if (policy == TransportPolicy.CLOSE || signal != SignalType.ON_COMPLETE) {
            engine.executor().execute(engine::closeTransport);
          }
        });
  }
}
