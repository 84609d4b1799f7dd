package dev.graceful.core.spi;

import dev.graceful.core.GracefulShutdown;
import dev.graceful.core.ServerShutdown;
import dev.graceful.core.ShutdownReport;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * The "once" of {@link GracefulShutdown}, for its implementations: the first subscription runs the
 * server's shutdown, every subscriber (that one included) observes its one report.
 */
public final class SharedShutdown {
  private final AtomicBoolean started = new AtomicBoolean();
  private final Sinks.One<ShutdownReport> report = Sinks.one();
  private final Function<ServerShutdown, Mono<ShutdownReport>> run;

  /**
   * @param run the server's whole shutdown by a policy; subscribed once at most
   */
  public SharedShutdown(Function<ServerShutdown, Mono<ShutdownReport>> run) {
    this.run = Objects.requireNonNull(run, "run");
  }

  /**
   * @param how the policy, used if this subscription is the first
   * @return the report of the one run
   */
  public Mono<ShutdownReport> shutdown(ServerShutdown how) {
    Objects.requireNonNull(how, "how");
    return Mono.defer(
        () -> {
          if (started.compareAndSet(false, true)) {
            // subscribed apart from the caller, so that one subscriber's cancellation does not
            // abandon connections half shut down that other subscribers wait for
            Mono.defer(() -> run.apply(how)).subscribe(report::tryEmitValue, report::tryEmitError);
          }
          return report.asMono();
        });
  }

  /**
   * @return true once the first subscription came
   */
  public boolean started() {
    return started.get();
  }
}
