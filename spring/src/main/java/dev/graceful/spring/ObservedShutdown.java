package dev.graceful.spring;

import dev.graceful.core.ShutdownReport;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import java.util.Objects;
import reactor.core.publisher.Mono;

/**
 * One Micrometer {@link Observation} per server shutdown, named {@code graceful.shutdown}: started
 * when the shutdown starts, stopped when it ends. Low-cardinality key values: {@code server}
 * ({@code web}) and {@code clean} ({@code true} when every connection ended with an outcome and
 * none was forced); high-cardinality: {@code connections}, {@code forced} and {@code refused}. An
 * error (or a cancelled shutdown) stops it too, the error recorded.
 */
public final class ObservedShutdown implements ServerShutdownDecorator {
  /** The observation's name. */
  public static final String NAME = "graceful.shutdown";

  private final ObservationRegistry registry;

  /**
   * @param registry where observations go
   */
  public ObservedShutdown(ObservationRegistry registry) {
    this.registry = Objects.requireNonNull(registry, "registry");
  }

  @Override
  public Mono<ShutdownReport> decorate(Mono<ShutdownReport> shutdown) {
    return Mono.defer(
        () -> {
          Observation o =
              Observation.createNotStarted(NAME, registry)
                  .contextualName("graceful shutdown")
                  .lowCardinalityKeyValue("server", GracefulShutdownMeters.SERVER)
                  .start();
          return shutdown
              .doOnNext(
                  r ->
                      o.lowCardinalityKeyValue("clean", Boolean.toString(r.clean()))
                          .highCardinalityKeyValue("connections", Integer.toString(r.connections()))
                          .highCardinalityKeyValue(
                              "forced", Integer.toString(r.stragglers().size()))
                          .highCardinalityKeyValue("refused", Long.toString(r.refusedRequests())))
              .doOnError(o::error)
              .doFinally(s -> o.stop());
        });
  }
}
