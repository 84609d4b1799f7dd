package dev.graceful.spring;

import dev.graceful.core.ServerShutdown;
import dev.graceful.netty.GracefulServer;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.reactor.netty.NettyReactiveWebServerFactory;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.annotation.Bean;
import org.springframework.http.server.reactive.HttpHandlerDecoratorFactory;
import reactor.netty.http.server.HttpServer;

/**
 * G11: graceful shutdown of a WebFlux application's reactor-netty server. Active in a reactive web
 * application with reactor-netty and Boot's Netty server support on the class path, unless {@code
 * graceful.shutdown.enabled=false}. Each bean backs off when the application defines its own: a
 * {@link ServerShutdown} bean replaces the policy built from {@code graceful.shutdown.*}.
 */
@AutoConfiguration
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.REACTIVE)
@ConditionalOnClass({
  HttpServer.class,
  NettyReactiveWebServerFactory.class,
  HttpHandlerDecoratorFactory.class,
  GracefulServer.class
})
@ConditionalOnBooleanProperty(name = "graceful.shutdown.enabled", matchIfMissing = true)
@EnableConfigurationProperties(GracefulShutdownProperties.class)
public final class GracefulShutdownAutoConfiguration {
  /** Spring's. */
  GracefulShutdownAutoConfiguration() {}

  @Bean
  @ConditionalOnMissingBean
  GracefulServer gracefulServer() {
    return GracefulServer.create();
  }

  @Bean
  @ConditionalOnMissingBean
  ServerShutdown gracefulServerShutdown(GracefulShutdownProperties properties) {
    return properties.serverShutdown();
  }

  @Bean
  @ConditionalOnMissingBean
  GracefulShutdownSignal gracefulShutdownSignal(GracefulServer graceful) {
    return new GracefulShutdownSignal(graceful);
  }

  @Bean
  @ConditionalOnMissingBean
  GracefulNettyServerCustomizer gracefulNettyServerCustomizer(GracefulServer graceful) {
    return new GracefulNettyServerCustomizer(graceful);
  }

  @Bean
  @ConditionalOnMissingBean
  ExchangeTracking gracefulExchangeTracking(GracefulServer graceful) {
    return new ExchangeTracking(graceful);
  }

  @Bean
  @ConditionalOnMissingBean
  GracefulShutdownLifecycle gracefulShutdownLifecycle(
      GracefulServer graceful,
      GracefulNettyServerCustomizer servers,
      ServerShutdown how,
      ObjectProvider<ServerShutdownDecorator> decorators,
      ApplicationEventPublisher events) {
    return new GracefulShutdownLifecycle(
        graceful, servers, how, decorators.orderedStream().toList(), events);
  }
}
