package dev.graceful.core.internal;

import dev.graceful.core.ShutdownException;
import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.core.TransportPolicy;
import dev.graceful.core.spi.ShutdownEngine;
import dev.graceful.core.Outcome;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
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
    AtomicReference<StepDriver> current = new AtomicReference<>();
    Mono<ShutdownResult> run =
        Mono.create(
            sink -> {
              StepDriver driver = new StepDriver(engine, spec, sink);
              current.set(driver);
              // only a cancel (the caller's, or the deadline's) leaves a driver to withdraw: a
              // driver that ended did so itself, and needs no extra loop task
              sink.onCancel(() -> engine.executor().execute(driver::abandon));
              engine.executor().execute(driver::step);
            });
    if (spec.timeout().isPresent()) {
      Duration deadline = spec.timeout().get();
      // Runs after the cancelled exchange has withdrawn from the loop (tasks run in order).
      Mono<ShutdownResult> atDeadline =
          Mono.create(
              sink ->
                  engine
                      .executor()
                      .execute(
                          () -> {
                            if (spec.settlesAtDeadline() && engine.state().sent()) {
                              long total = engine.connectionBytesRead();
                              StepDriver driver = current.get();
                              sink.success(
                                  engine
                                      .describe()
                                      .bytesRead(driver == null ? 0 : driver.bytesReadSince(total))
                                      .outcome(Outcome.SENT)
                                      .mode(spec.mode())
                                      .elapsed(deadline)
                                      .deadlineReached(true)
                                      .build());
                            } else {
                              sink.error(
                                  new ShutdownException(
                                      ShutdownException.Reason.TIMEOUT,
                                      engine.connectionId(),
                                      engine.state(),
                                      "the shutdown did not end within " + deadline,
                                      null));
                            }
                          }));
      run = run.timeout(deadline, atDeadline, spec.scheduler());
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
