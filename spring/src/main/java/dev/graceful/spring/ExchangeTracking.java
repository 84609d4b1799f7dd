package dev.graceful.spring;

import dev.graceful.netty.GracefulServer;
import java.util.Objects;
import org.springframework.http.server.reactive.AbstractServerHttpRequest;
import org.springframework.http.server.reactive.HttpHandler;
import org.springframework.http.server.reactive.HttpHandlerDecoratorFactory;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpRequestDecorator;
import reactor.core.publisher.Mono;
import reactor.netty.http.server.HttpServerRequest;

/**
 * G2 for WebFlux: decorates the application's {@link HttpHandler} (Spring's {@code
 * WebHttpHandlerBuilder} applies every {@link HttpHandlerDecoratorFactory} bean) so that each
 * exchange counts as in flight on its reactor-netty connection until its response is written. A
 * shutdown waits for such exchanges, within its grace period, before it ends their connection.
 * Exchanges on another server than reactor-netty pass untracked.
 */
public final class ExchangeTracking implements HttpHandlerDecoratorFactory {
  private final GracefulServer graceful;

  /**
   * @param graceful the tracker
   */
  public ExchangeTracking(GracefulServer graceful) {
    this.graceful = Objects.requireNonNull(graceful, "graceful");
  }

  @Override
  public HttpHandler apply(HttpHandler handler) {
    Objects.requireNonNull(handler, "handler");
    return (request, response) -> {
      Mono<Void> exchange = Mono.defer(() -> handler.handle(request, response));
      return nativeRequest(request) instanceof HttpServerRequest r
          ? graceful.track(r, exchange)
          : exchange;
    };
  }

  /**
   * @return the server's own request beneath Spring's (and its decorators), or null
   */
  private static Object nativeRequest(ServerHttpRequest request) {
    ServerHttpRequest r = request;
    while (r instanceof ServerHttpRequestDecorator d) {
      r = d.getDelegate();
    }
    return r instanceof AbstractServerHttpRequest a ? a.getNativeRequest() : null;
  }
}
