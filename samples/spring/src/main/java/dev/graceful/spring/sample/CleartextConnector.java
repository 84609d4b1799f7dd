package dev.graceful.spring.sample;

import dev.graceful.spring.GracefulNettyServerCustomizer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.server.reactive.HttpHandler;
import org.springframework.http.server.reactive.ReactorHttpHandlerAdapter;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;

/**
 * With {@code --sample.cleartext-port=PORT}: a second, cleartext HTTP/1.1 connector serving the
 * same application beside the main one (typically TLS on {@code server.port}), so one application
 * holds both kinds of connection. It is bound through graceful's {@link
 * GracefulNettyServerCustomizer}, so its connections are tracked, drained and reported by the same
 * shutdown as the main server's. With the starter switched off it is a plain reactor-netty server,
 * disposed when Boot's own web server stops.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty("sample.cleartext-port")
public class CleartextConnector {
  private static final Logger log = LoggerFactory.getLogger(CleartextConnector.class);

  @Bean
  SmartLifecycle cleartextServer(
      @Value("${sample.cleartext-port}") int port,
      ObjectProvider<HttpHandler> handler,
      ObjectProvider<GracefulNettyServerCustomizer> graceful) {
    return new SmartLifecycle() {
      private volatile DisposableServer server;

      @Override
      public void start() {
        HttpServer http = HttpServer.create().port(port);
        // absent when the starter is switched off (graceful.shutdown.enabled=false)
        GracefulNettyServerCustomizer tracking = graceful.getIfAvailable();
        if (tracking != null) {
          http = tracking.apply(http);
        }
        server = http.handle(new ReactorHttpHandlerAdapter(handler.getObject())).bindNow();
        log.info("Cleartext HTTP/1.1 connector on port {}", server.port());
      }

      /**
       * With the starter, graceful's shutdown (a phase above) has already ended its connections.
       */
      @Override
      public void stop() {
        DisposableServer s = server;
        if (s != null) {
          s.disposeNow();
        }
      }

      @Override
      public boolean isRunning() {
        DisposableServer s = server;
        return s != null && !s.isDisposed();
      }

      /** Starts and stops with Boot's own web server. */
      @Override
      public int getPhase() {
        return WebServerApplicationContext.START_STOP_LIFECYCLE_PHASE;
      }
    };
  }
}
