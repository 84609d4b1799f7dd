package dev.graceful.samples.examples;

import dev.graceful.core.ServerShutdown;
import dev.graceful.core.ShutdownReport;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.netty.GracefulServer;
import io.netty.handler.ssl.SslContext;
import java.time.Duration;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;

/** A reactor-netty HTTPS server that graceful tracks, and its graceful shutdown. */
public final class HttpsServerExample {
  private HttpsServerExample() {}

  /**
   * Starts an HTTPS server on a free loopback port whose every connection graceful tracks.
   *
   * @param graceful tracks the server's connections and exchanges
   * @param sslContext the server's Netty context
   * @return the bound server
   */
  public static DisposableServer start(GracefulServer graceful, SslContext sslContext) {
    // tag::https-server[]
    DisposableServer server =
        graceful
            .install(
                HttpServer.create()
                    .host("127.0.0.1")
                    .port(0)
                    .secure(spec -> spec.sslContext(sslContext)))
            .handle(
                graceful.http(
                    (req, res) -> res.sendString(Mono.just("hello\n")))) // exchanges tracked
            .bindNow();
    // end::https-server[]
    return server;
  }

  /**
   * Stops {@code server} gracefully.
   *
   * @param graceful the tracker {@code server} was installed with
   * @param server the server
   * @return the report: how every connection ended
   */
  public static ShutdownReport stop(GracefulServer graceful, DisposableServer server) {
    // tag::https-shutdown[]
    ServerShutdown policy =
        ServerShutdown.of(
                ShutdownSpec.bidirectional()) // close_notify to each client, wait for its answer
            .grace(Duration.ofSeconds(5)) // in-flight exchanges may finish first
            .deadline(Duration.ofSeconds(10)); // then the stragglers are forced and named
    ShutdownReport report = graceful.shutdown(server, policy).block();
    // report.outcomes(): {COMPLETE=...}, report.errors(), report.stragglers(), report.latency(99)
    // end::https-shutdown[]
    return report;
  }
}
