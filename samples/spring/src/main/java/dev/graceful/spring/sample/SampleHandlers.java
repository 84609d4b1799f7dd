package dev.graceful.spring.sample;

import dev.graceful.netty.GracefulServer;
import dev.graceful.spring.GracefulShutdownSignal;
import java.time.Duration;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.web.reactive.HandlerMapping;
import org.springframework.web.reactive.function.BodyInserters;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import org.springframework.web.reactive.handler.SimpleUrlHandlerMapping;
import org.springframework.web.reactive.socket.CloseStatus;
import org.springframework.web.reactive.socket.WebSocketHandler;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The sample's endpoints: {@code GET /hello}, {@code GET /slow?ms=N}, {@code GET /events} (one
 * server-sent event every 100 ms, a final {@code bye} when draining begins) and {@code /ws} (a
 * WebSocket echo that closes with 1001 when draining begins).
 */
@Configuration(proxyBeanMethods = false)
public class SampleHandlers {
  private static final Logger log = LoggerFactory.getLogger(SampleHandlers.class);

  @Bean
  RouterFunction<ServerResponse> routes(ObjectProvider<GracefulShutdownSignal> signals) {
    GracefulShutdownSignal signal = signalOrNever(signals);
    return RouterFunctions.route()
        .GET("/hello", req -> ServerResponse.ok().bodyValue("hello\n"))
        .GET("/slow", SampleHandlers::slow)
        .GET("/events", req -> events(signal))
        .build();
  }

  /** Answers {@code slow N} after N ms (default 1000). */
  private static Mono<ServerResponse> slow(ServerRequest req) {
    long ms = req.queryParam("ms").map(Long::parseLong).orElse(1000L);
    log.info("slow request started: answering in {} ms", ms);
    return ServerResponse.ok()
        .body(Mono.delay(Duration.ofMillis(ms)).map(x -> "slow " + ms + "\n"), String.class);
  }

  // tag::sse[]
  /**
   * Server-sent events: a tick every 100 ms until draining begins, then a last event, and the end.
   */
  private static Mono<ServerResponse> events(GracefulShutdownSignal signal) {
    Flux<ServerSentEvent<String>> ticks =
        Flux.interval(Duration.ofMillis(100))
            .onBackpressureDrop()
            .map(n -> ServerSentEvent.builder("tick " + n).event("tick").build());
    Flux<ServerSentEvent<String>> stream =
        ticks
            .takeUntilOther(signal.draining())
            .concatWith(Mono.just(ServerSentEvent.builder("bye").event("bye").build()));
    return ServerResponse.ok()
        .contentType(MediaType.TEXT_EVENT_STREAM)
        .body(BodyInserters.fromServerSentEvents(stream));
  }

  // end::sse[]

  // tag::websocket[]
  /**
   * A WebSocket echo that, once draining begins, closes with 1001 (going away) while its sending
   * still runs; the session then ends when the client answers the close.
   */
  @Bean
  HandlerMapping webSocketRoutes(ObjectProvider<GracefulShutdownSignal> signals) {
    GracefulShutdownSignal signal = signalOrNever(signals);
    WebSocketHandler echo =
        session ->
            Mono.when(
                session.send(session.receive().map(m -> session.textMessage(m.getPayloadAsText()))),
                signal.draining().then(Mono.defer(() -> session.close(CloseStatus.GOING_AWAY))));
    return new SimpleUrlHandlerMapping(Map.of("/ws", echo), -1);
  }

  // end::websocket[]

  /**
   * The starter's signal; with the starter switched off ({@code graceful.shutdown.enabled=false})
   * one that never fires, as nothing then tells the handlers that draining began.
   */
  private static GracefulShutdownSignal signalOrNever(
      ObjectProvider<GracefulShutdownSignal> signals) {
    return signals.getIfAvailable(() -> new GracefulShutdownSignal(GracefulServer.create()));
  }
}
