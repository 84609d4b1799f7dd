package dev.graceful.spring.app;

import dev.graceful.core.ShutdownReport;
import dev.graceful.spring.GracefulShutdownEvent;
import dev.graceful.spring.GracefulShutdownSignal;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.event.EventListener;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.web.reactive.function.BodyInserters;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The application of the comparison with Boot's own graceful shutdown: it starts with the starter
 * and with {@code graceful.shutdown.enabled=false} alike. {@code /hello}, {@code /slow?ms=N} and
 * {@code /events}, server-sent events that tick every 100 ms and, when the starter's {@link
 * GracefulShutdownSignal} is there, end with a {@code bye} event once draining begins; without it
 * (Boot's shutdown alone) nothing tells the stream to end, as in an application written for Boot
 * alone.
 */
@SpringBootConfiguration(proxyBeanMethods = false)
@EnableAutoConfiguration
public class ComparisonApplication {
  /** What the test waits on: requests that reached the application, the report. */
  public static final class Probe {
    /** Released once for each slow request that reaches its handler. */
    public final Semaphore slowStarted = new Semaphore(0);

    /** Counted down when an event stream starts. */
    public final CountDownLatch streamStarted = new CountDownLatch(1);

    /** The report of the starter's shutdown, once published (never without the starter). */
    public final CompletableFuture<ShutdownReport> report = new CompletableFuture<>();

    @EventListener
    void on(GracefulShutdownEvent event) {
      report.complete(event.report());
    }
  }

  @Bean
  Probe probe() {
    return new Probe();
  }

  @Bean
  RouterFunction<ServerResponse> routes(
      ObjectProvider<GracefulShutdownSignal> signal, Probe probe) {
    Mono<Void> draining =
        signal.stream().findFirst().map(GracefulShutdownSignal::draining).orElse(Mono.never());
    return RouterFunctions.route()
        .GET("/hello", req -> ServerResponse.ok().bodyValue("hello"))
        .GET(
            "/slow",
            req -> {
              long ms = Long.parseLong(req.queryParam("ms").orElse("1000"));
              probe.slowStarted.release();
              return ServerResponse.ok()
                  .body(Mono.delay(Duration.ofMillis(ms)).map(x -> "slow " + ms), String.class);
            })
        .GET(
            "/events",
            req -> {
              Flux<ServerSentEvent<String>> events =
                  Flux.interval(Duration.ofMillis(100))
                      .onBackpressureDrop()
                      .map(n -> ServerSentEvent.builder("tick " + n).build())
                      .takeUntilOther(draining)
                      .concatWith(Mono.just(ServerSentEvent.builder("bye").event("bye").build()))
                      .doOnSubscribe(s -> probe.streamStarted.countDown());
              return ServerResponse.ok()
                  .contentType(MediaType.TEXT_EVENT_STREAM)
                  .body(BodyInserters.fromServerSentEvents(events));
            })
        .build();
  }
}
