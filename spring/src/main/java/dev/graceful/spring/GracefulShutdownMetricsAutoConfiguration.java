package dev.graceful.spring;

import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * Micrometer meters for the web server's graceful shutdown ({@link GracefulShutdownMeters}), when
 * Micrometer is on the class path and the application has a {@link MeterRegistry}.
 */
@AutoConfiguration(
    after = GracefulShutdownAutoConfiguration.class,
    afterName = {
      "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration",
      "org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration"
    })
@ConditionalOnClass(MeterRegistry.class)
@ConditionalOnBean({MeterRegistry.class, GracefulShutdownSignal.class})
public final class GracefulShutdownMetricsAutoConfiguration {
  /** Spring's. */
  GracefulShutdownMetricsAutoConfiguration() {}

  @Bean
  @ConditionalOnMissingBean
  GracefulShutdownMeters gracefulShutdownMeters(
      MeterRegistry registry, GracefulShutdownSignal signal) {
    return new GracefulShutdownMeters(registry, signal);
  }
}
