package dev.graceful.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graceful.core.ServerShutdown;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.netty.GracefulServer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.ObservationRegistry;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.boot.actuate.autoconfigure.endpoint.EndpointAutoConfiguration;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.annotation.ImportCandidates;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.ReactiveWebApplicationContextRunner;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import reactor.netty.http.server.HttpServer;
import reactor.test.StepVerifier;

/** G11: the starter's conditions and properties, without a server. */
@Tag("G11")
class GracefulShutdownAutoConfigurationTest {
  private static final AutoConfigurations ALL =
      AutoConfigurations.of(
          GracefulShutdownAutoConfiguration.class,
          GracefulShutdownMetricsAutoConfiguration.class,
          GracefulShutdownObservationAutoConfiguration.class,
          GracefulShutdownEndpointAutoConfiguration.class);

  private final ReactiveWebApplicationContextRunner runner =
      new ReactiveWebApplicationContextRunner().withConfiguration(ALL);

  @Test
  void listsEveryAutoConfigurationInTheImportsFile() {
    List<String> imported =
        ImportCandidates.load(AutoConfiguration.class, getClass().getClassLoader()).getCandidates();
    assertThat(imported)
        .contains(
            GracefulShutdownAutoConfiguration.class.getName(),
            GracefulShutdownMetricsAutoConfiguration.class.getName(),
            GracefulShutdownObservationAutoConfiguration.class.getName(),
            GracefulShutdownEndpointAutoConfiguration.class.getName());
  }

  @Test
  void contributesTheServerHooksInAReactiveWebApplication() {
    runner.run(
        ctx -> {
          assertThat(ctx)
              .hasSingleBean(GracefulServer.class)
              .hasSingleBean(ServerShutdown.class)
              .hasSingleBean(GracefulShutdownSignal.class)
              .hasSingleBean(GracefulNettyServerCustomizer.class)
              .hasSingleBean(ExchangeTracking.class)
              .hasSingleBean(GracefulShutdownLifecycle.class);
          // stopped before Boot's own graceful shutdown, whose disposeNow would cut the connections
          assertThat(ctx.getBean(GracefulShutdownLifecycle.class).getPhase())
              .isEqualTo(GracefulShutdownLifecycle.PHASE)
              .isGreaterThan(WebServerApplicationContext.GRACEFUL_SHUTDOWN_PHASE)
              .isGreaterThan(WebServerApplicationContext.START_STOP_LIFECYCLE_PHASE);
          assertThat(ctx.getBean(GracefulShutdownSignal.class).isDraining()).isFalse();
        });
  }

  @Test
  void defaultsToBidirectionalWithFiveSecondsGraceTenSecondsDeadlineAndFastForce() {
    runner.run(
        ctx ->
            assertThat(ctx.getBean(GracefulShutdownProperties.class))
                .isEqualTo(
                    new GracefulShutdownProperties(
                        true,
                        GracefulShutdownProperties.Mode.BIDIRECTIONAL,
                        Duration.ofSeconds(5),
                        Duration.ofSeconds(10),
                        GracefulShutdownProperties.Mode.FAST)));
  }

  @Test
  void bindsEveryProperty() {
    runner
        .withPropertyValues(
            "graceful.shutdown.mode=wait-peer",
            "graceful.shutdown.grace=250ms",
            "graceful.shutdown.timeout=3s",
            "graceful.shutdown.force=quiet")
        .run(
            ctx ->
                assertThat(ctx.getBean(GracefulShutdownProperties.class))
                    .isEqualTo(
                        new GracefulShutdownProperties(
                            true,
                            GracefulShutdownProperties.Mode.WAIT_PEER,
                            Duration.ofMillis(250),
                            Duration.ofSeconds(3),
                            GracefulShutdownProperties.Mode.QUIET)));
  }

  @ParameterizedTest
  @CsvSource({
    "graceful.shutdown.grace=-1s,           graceful.shutdown.grace",
    "graceful.shutdown.timeout=-2s,         graceful.shutdown.timeout",
    "graceful.shutdown.timeout=0s,          graceful.shutdown.timeout",
    "graceful.shutdown.grace=10s,           graceful.shutdown.grace",
    "graceful.shutdown.mode=sideways,       graceful.shutdown.mode",
    "graceful.shutdown.force=bidirectional, graceful.shutdown.force",
    "graceful.shutdown.grace=soon,          graceful.shutdown.grace"
  })
  void failsStartupNamingTheInvalidProperty(String property, String named) {
    runner
        .withPropertyValues(property)
        .run(
            ctx -> {
              assertThat(ctx).hasFailed();
              assertThat(messages(ctx.getStartupFailure())).contains(named);
            });
  }

  private static String messages(Throwable t) {
    StringBuilder b = new StringBuilder();
    for (Throwable c = t; c != null; c = c.getCause()) {
      b.append(c.getMessage()).append('\n');
    }
    return b.toString();
  }

  @Test
  void backsOffWhenDisabled() {
    runner
        .withPropertyValues("graceful.shutdown.enabled=false")
        .run(
            ctx ->
                assertThat(ctx)
                    .doesNotHaveBean(GracefulServer.class)
                    .doesNotHaveBean(GracefulShutdownLifecycle.class)
                    .doesNotHaveBean(ExchangeTracking.class)
                    .doesNotHaveBean(GracefulShutdownProperties.class));
  }

  @Test
  void backsOffOutsideAWebApplication() {
    new ApplicationContextRunner()
        .withConfiguration(ALL)
        .run(
            ctx ->
                assertThat(ctx)
                    .doesNotHaveBean(GracefulServer.class)
                    .doesNotHaveBean(GracefulShutdownLifecycle.class));
  }

  @Test
  void backsOffWithoutReactorNetty() {
    runner
        .withClassLoader(new FilteredClassLoader(HttpServer.class))
        .run(
            ctx ->
                assertThat(ctx)
                    .doesNotHaveBean(GracefulServer.class)
                    .doesNotHaveBean(GracefulShutdownLifecycle.class));
  }

  @Configuration(proxyBeanMethods = false)
  static class OwnBeans {
    static final GracefulServer SERVER = GracefulServer.create();
    static final ServerShutdown POLICY =
        ServerShutdown.of(ShutdownSpec.bidirectional().fast()).deadline(Duration.ofSeconds(2));

    @Bean
    GracefulServer ownServer() {
      return SERVER;
    }

    @Bean
    ServerShutdown ownPolicy() {
      return POLICY;
    }
  }

  @Test
  void theApplicationsOwnBeansWin() {
    runner
        .withUserConfiguration(OwnBeans.class)
        .run(
            ctx -> {
              assertThat(ctx.getBean(GracefulServer.class)).isSameAs(OwnBeans.SERVER);
              assertThat(ctx.getBean(ServerShutdown.class)).isSameAs(OwnBeans.POLICY);
              assertThat(ctx)
                  .hasSingleBean(GracefulServer.class)
                  .hasSingleBean(GracefulShutdownLifecycle.class);
            });
  }

  @Test
  void aShutdownWithoutABoundServerEndsEmpty() {
    runner.run(
        ctx ->
            StepVerifier.create(ctx.getBean(GracefulShutdownLifecycle.class).shutdown())
                .expectComplete()
                .verify(Duration.ofSeconds(5)));
  }

  @Test
  void publishesMetersWhenTheApplicationHasAMeterRegistry() {
    runner
        .withBean(MeterRegistry.class, SimpleMeterRegistry::new)
        .run(
            ctx -> {
              assertThat(ctx).hasSingleBean(GracefulShutdownMeters.class);
              assertThat(
                      ctx.getBean(MeterRegistry.class)
                          .get("graceful.shutdown.draining")
                          .gauge()
                          .value())
                  .isZero();
            });
  }

  @Test
  void publishesNoMetersWithoutARegistryOrWithoutMicrometer() {
    runner.run(ctx -> assertThat(ctx).doesNotHaveBean(GracefulShutdownMeters.class));
    runner
        .withBean(ObservationRegistry.class, ObservationRegistry::create)
        .withClassLoader(new FilteredClassLoader(MeterRegistry.class))
        .run(
            ctx ->
                assertThat(ctx)
                    .hasNotFailed()
                    .doesNotHaveBean(GracefulShutdownMeters.class)
                    .hasSingleBean(ObservedShutdown.class));
  }

  @Test
  void observesEachShutdownWhenTheApplicationHasAnObservationRegistry() {
    runner
        .withBean(ObservationRegistry.class, ObservationRegistry::create)
        .run(ctx -> assertThat(ctx).hasSingleBean(ObservedShutdown.class));
    runner.run(ctx -> assertThat(ctx).doesNotHaveBean(ObservedShutdown.class));
  }

  @Test
  void showsDrainingAndTheLastReportThroughActuatorWhenExposed() {
    runner
        .withConfiguration(AutoConfigurations.of(EndpointAutoConfiguration.class))
        .withPropertyValues("management.endpoints.web.exposure.include=gracefulshutdown")
        .run(
            ctx -> {
              assertThat(ctx).hasSingleBean(GracefulShutdownEndpoint.class);
              GracefulShutdownEndpoint.State state =
                  ctx.getBean(GracefulShutdownEndpoint.class).state();
              assertThat(state.draining()).isFalse();
              assertThat(state.lastReport()).isNull();
            });
    runner
        .withConfiguration(AutoConfigurations.of(EndpointAutoConfiguration.class))
        .run(ctx -> assertThat(ctx).doesNotHaveBean(GracefulShutdownEndpoint.class));
  }
}
