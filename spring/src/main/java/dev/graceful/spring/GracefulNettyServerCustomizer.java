package dev.graceful.spring;

import dev.graceful.netty.GracefulServer;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import org.springframework.boot.reactor.netty.NettyServerCustomizer;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;

/**
 * Installs graceful's tracking in the reactor-netty server that Boot builds: every connection it
 * accepts, over TLS or cleartext, is tracked, and the bound server is kept for the shutdown.
 */
public final class GracefulNettyServerCustomizer implements NettyServerCustomizer {
  private final GracefulServer graceful;
  private final List<DisposableServer> bound = new CopyOnWriteArrayList<>();

  /**
   * @param graceful the tracker
   */
  public GracefulNettyServerCustomizer(GracefulServer graceful) {
    this.graceful = Objects.requireNonNull(graceful, "graceful");
  }

  @Override
  public HttpServer apply(HttpServer server) {
    return graceful.install(server).doOnBound(bound::add);
  }

  /**
   * @return the servers bound with this customizer and not yet disposed, first bound first
   */
  public List<DisposableServer> boundServers() {
    return bound.stream().filter(s -> !s.isDisposed()).toList();
  }
}
