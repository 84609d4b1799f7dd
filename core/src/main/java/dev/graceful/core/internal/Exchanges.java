package dev.graceful.core.internal;

import dev.graceful.core.ShutdownException;
import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.core.TransportPolicy;
import dev.graceful.core.spi.ShutdownEngine;
import java.util.concurrent.TimeoutException;
import reactor.core.publisher.Mono;
import reactor.core.publisher.SignalType;

/** Builds the Mono of one exchange: the step driver, its deadline and its transport policy. */
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
              StepDriver driver = new StepDriver(engine, spec, sink);
              sink.onDispose(() -> engine.executor().execute(driver::abandon));
              engine.executor().execute(driver::step);
            });
    if (spec.timeout().isPresent()) {
      run =
          run.timeout(spec.timeout().get(), spec.scheduler())
              .onErrorMap(
                  TimeoutException.class,
                  e ->
                      new ShutdownException(
                          ShutdownException.Reason.TIMEOUT,
                          engine.connectionId(),
                          engine.state(),
                          "the shutdown did not end within " + spec.timeout().get(),
                          e));
    }
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
