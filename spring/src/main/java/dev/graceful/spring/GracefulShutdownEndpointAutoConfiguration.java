package dev.graceful.spring;

import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * The {@link GracefulShutdownEndpoint}, when Actuator is on the class path and the endpoint is
 * available (enabled and exposed).
 */
@AutoConfiguration(after = GracefulShutdownAutoConfiguration.class)
@ConditionalOnClass(Endpoint.class)
@ConditionalOnBean({GracefulShutdownSignal.class, GracefulShutdownLifecycle.class})
@ConditionalOnAvailableEndpoint(GracefulShutdownEndpoint.class)
public final class GracefulShutdownEndpointAutoConfiguration {
  /** Spring's. */
  GracefulShutdownEndpointAutoConfiguration() {}

  @Bean
  @ConditionalOnMissingBean
  GracefulShutdownEndpoint gracefulShutdownEndpoint(
      GracefulShutdownSignal signal, GracefulShutdownLifecycle lifecycle) {
    return new GracefulShutdownEndpoint(signal, lifecycle);
  }
}
