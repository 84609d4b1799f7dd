package dev.graceful.tls;

import dev.graceful.core.ServerShutdown;
import dev.graceful.core.ShutdownReport;
import dev.graceful.core.spi.InFlight;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * What {@link TlsServer} and {@link DtlsServer} share for their server shutdown: the handshaken
 * connections whose transport graceful has not closed yet, each with its work in flight, and the
 * run that shuts them all down by one {@link ServerShutdown} and releases every one it counted.
 */
final class OpenConnections {
  private final Map<TlsConnection, InFlight> open = new ConcurrentHashMap<>();

  /** Holds {@code c} until graceful closes its transport. */
  void add(TlsConnection c) {
    open.put(c, new InFlight());
    c.whenClosed(() -> open.remove(c));
  }

  void remove(TlsConnection c) {
    open.remove(c);
  }

  Set<TlsConnection> snapshot() {
    return Set.copyOf(open.keySet());
  }

  /**
   * @see TlsServer#track(TlsConnection, Mono)
   */
  Mono<Void> track(TlsConnection connection, Mono<Void> exchange) {
    Objects.requireNonNull(connection, "connection");
    Objects.requireNonNull(exchange, "exchange");
    return Mono.defer(
        () -> {
          InFlight f = open.get(connection);
          return f == null ? exchange : f.count(exchange);
        });
  }

  /**
   * Runs {@code how} over the connections open once {@code stopAccepting} completed, then releases
   * every one it counted, then {@code afterwards}, then reports.
   */
  Mono<ShutdownReport> shutDown(
      ServerShutdown how, Mono<Void> stopAccepting, Mono<Void> afterwards) {
    List<TlsConnection> counted = new CopyOnWriteArrayList<>();
    return how.run(
            stopAccepting,
            () -> {
              List<ServerShutdown.Member> members = new ArrayList<>();
              open.forEach(
                  (c, inFlight) -> {
                    counted.add(c);
                    members.add(ServerShutdown.Member.of(c, inFlight.idle()));
                  });
              return members;
            })
        .flatMap(
            report ->
                Flux.fromIterable(counted)
                    .flatMap(TlsConnection::release)
                    .then(afterwards)
                    .then(Mono.just(report)));
  }
}
