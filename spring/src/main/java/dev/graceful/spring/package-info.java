/**
 * Spring Boot starter: graceful shutdown of a WebFlux application's reactor-netty server,
 * configured by {@code graceful.shutdown.*} ({@link
 * dev.graceful.spring.GracefulShutdownProperties}), run in Boot's graceful-shutdown phase ({@link
 * dev.graceful.spring.GracefulShutdownLifecycle}), with a draining signal for long-lived exchanges
 * ({@link dev.graceful.spring.GracefulShutdownSignal}), the report as an event, meters, an
 * Observation and an Actuator endpoint.
 */
package dev.graceful.spring;
