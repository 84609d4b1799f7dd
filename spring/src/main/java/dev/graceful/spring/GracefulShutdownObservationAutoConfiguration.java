package dev.graceful.spring;

import io.micrometer.observation.ObservationRegistry;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * An {@link ObservedShutdown} observation per web server shutdown, when Micrometer's Observation
 * API is on the class path and the application has an {@link ObservationRegistry}.
 */
@AutoConfiguration(
    after = GracefulShutdownAutoConfiguration.class,
    afterName =
        "org.springframework.boot.micrometer.observation.autoconfigure.ObservationAutoConfiguration")
@ConditionalOnClass(ObservationRegistry.class)
@ConditionalOnBean({ObservationRegistry.class, GracefulShutdownLifecycle.class})
public final class GracefulShutdownObservationAutoConfiguration {
  /** Spring's. */
  GracefulShutdownObservationAutoConfiguration() {}

  @Bean
  @ConditionalOnMissingBean
  ObservedShutdown gracefulObservedShutdown(ObservationRegistry registry) {
    return new ObservedShutdown(registry);
  }
}
