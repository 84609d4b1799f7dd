package dev.graceful.samples.examples;

import dev.graceful.core.LoopGroup;
import dev.graceful.core.ServerShutdown;
import dev.graceful.core.ShutdownReport;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.core.TransportPolicy;
import dev.graceful.tls.TlsConnection;
import dev.graceful.tls.TlsServer;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** graceful's own non-blocking TLS server, and a graceful shutdown of every connection it holds. */
public final class TlsServerExample {
  private final TlsServer server;
  private final Set<TlsConnection> open;

  private TlsServerExample(TlsServer server, Set<TlsConnection> open) {
    this.server = server;
    this.open = open;
  }

  /**
   * Binds a TLS server on a free loopback port that greets every client.
   *
   * @param context the server context (key and certificate)
   * @param loops the loops connections are spread over
   * @return the running server
   */
  public static TlsServerExample start(javax.net.ssl.SSLContext context, LoopGroup loops) {
    // tag::tls-server[]
    TlsServer server =
        TlsServer.bind(new InetSocketAddress("127.0.0.1", 0), context, loops, engine -> {}).block();
    Set<TlsConnection> open = ConcurrentHashMap.newKeySet();
    server
        .connections() // each connection once its handshake is done
        .subscribe(
            conn -> {
              open.add(conn);
              conn.send(ByteBuffer.wrap("welcome\n".getBytes(StandardCharsets.UTF_8))).subscribe();
            });
    // end::tls-server[]
    return new TlsServerExample(server, open);
  }

  /**
   * @return the server's address
   */
  public InetSocketAddress address() {
    return server.address();
  }

  /**
   * @return the report of a graceful shutdown of every open connection
   */
  public ShutdownReport stop() {
    // tag::tls-server-shutdown[]
    ServerShutdown policy =
        ServerShutdown.of(
                ShutdownSpec.bidirectional()
                    .discardUnread() // what clients still send is not wanted any more
                    .closeTransport(TransportPolicy.CLOSE)) // a server releases each socket
            .deadline(Duration.ofSeconds(10));
    ShutdownReport report =
        policy
            .run(server.stopAccepting(), open.stream().map(ServerShutdown.Member::of).toList())
            .block();
    // end::tls-server-shutdown[]
    return report;
  }
}
