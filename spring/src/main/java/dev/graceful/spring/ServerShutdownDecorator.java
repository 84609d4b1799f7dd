package dev.graceful.spring;

import dev.graceful.core.ShutdownReport;
import reactor.core.publisher.Mono;

/**
 * Wraps each run of the web server's graceful shutdown, to observe or time it. The starter's
 * Micrometer and Observation support are decorators; every bean of this type is applied, in
 * {@code @Order}.
 */
@FunctionalInterface
public interface ServerShutdownDecorator {
  /**
   * @param shutdown the shutdown, cold: it starts when subscribed; its report is delivered on a
   *     thread that may block
   * @return the shutdown, wrapped
   */
  Mono<ShutdownReport> decorate(Mono<ShutdownReport> shutdown);
}
