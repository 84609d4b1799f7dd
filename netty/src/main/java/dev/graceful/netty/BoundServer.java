package dev.graceful.netty;

import dev.graceful.core.GracefulShutdown;
import dev.graceful.core.ServerShutdown;
import dev.graceful.core.ShutdownReport;
import dev.graceful.core.spi.SharedShutdown;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;

/**
 * G10: a bound reactor-netty server as a {@link GracefulShutdown}: its shutdown is {@link
 * GracefulServer#shutdown(DisposableServer, ServerShutdown)}, run once; later subscriptions observe
 * the first one's report.
 */
final class BoundServer implements GracefulShutdown {
  private final SharedShutdown once;

  /**
   * @param graceful the tracker the server was bound with
   * @param server the server
   */
  BoundServer(GracefulServer graceful, DisposableServer server) {
    this.once = new SharedShutdown(how -> graceful.shutdown(server, how));
  }

  @Override
  public Mono<ShutdownReport> shutdown(ServerShutdown how) {
    return once.shutdown(how);
  }

  @Override
  public boolean isShuttingDown() {
    return once.started();
  }
}
