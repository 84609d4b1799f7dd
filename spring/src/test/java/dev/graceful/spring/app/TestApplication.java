package dev.graceful.spring.app;

import dev.graceful.core.ShutdownReport;
import dev.graceful.spring.GracefulShutdownEvent;
import dev.graceful.spring.GracefulShutdownSignal;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.event.EventListener;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.web.reactive.HandlerMapping;
import org.springframework.web.reactive.function.BodyInserters;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;
import org.springframework.web.reactive.handler.SimpleUrlHandlerMapping;
import org.springframework.web.reactive.socket.CloseStatus;
import org.springframework.web.reactive.socket.WebSocketHandler;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The application the end-to-end tests start: {@code /hello}, {@code /slow?ms=N}, {@code /events}
 * (server-sent events that end with {@code bye} when draining begins) and {@code /ws} (a WebSocket
 * echo that closes with 1001 when draining begins). It tells the test when a slow request or a
 * stream has reached it, and hands over the shutdown's report.
 */
@SpringBootConfiguration(proxyBeanMethods = false)
@EnableAutoConfiguration
public class TestApplication {
  /** What the test waits on: requests that reached the application, the report. */
  public static final class Probe {
    /** Released once for each slow request that reaches its handler. */
    public final Semaphore slowStarted = new Semaphore(0);

    /** Counted down when an event stream starts. */
    public final CountDownLatch streamStarted = new CountDownLatch(1);

    /** The report of the shutdown, once published. */
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

  /** {@code /ws}: a WebSocket echo that closes with 1001 (going away) once draining begins. */
  @Bean
  HandlerMapping webSocketRoutes(GracefulShutdownSignal signal) {
    WebSocketHandler echo =
        session ->
            Mono.when(
                session.send(session.receive().map(m -> session.textMessage(m.getPayloadAsText()))),
                signal.draining().then(Mono.defer(() -> session.close(CloseStatus.GOING_AWAY))));
    return new SimpleUrlHandlerMapping(Map.of("/ws", echo), -1);
  }

  @Bean
  RouterFunction<ServerResponse> routes(GracefulShutdownSignal signal, Probe probe) {
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
              Flux<ServerSentEvent<String>> ticks =
                  Flux.interval(Duration.ofMillis(100))
                      .onBackpressureDrop()
                      .map(n -> ServerSentEvent.builder("tick " + n).build());
              Flux<ServerSentEvent<String>> events =
                  ticks
                      .takeUntilOther(signal.draining())
                      .concatWith(Mono.just(ServerSentEvent.builder("bye").event("bye").build()))
                      .doOnSubscribe(s -> probe.streamStarted.countDown());
              return ServerResponse.ok()
                  .contentType(MediaType.TEXT_EVENT_STREAM)
                  .body(BodyInserters.fromServerSentEvents(events));
            })
        .build();
  }
}
