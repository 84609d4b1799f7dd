package dev.graceful.samples.examples;

import dev.graceful.core.LoopGroup;
import dev.graceful.core.ServerShutdown;
import dev.graceful.core.ShutdownReport;
import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.quic.QuicConnection;
import dev.graceful.quic.QuicServer;
import dev.graceful.quic.QuicShutdown;
import dev.graceful.quic.QuicStreamHandle;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.time.Duration;
import tech.kwik.core.QuicClientConnection;
import tech.kwik.core.log.NullLogger;
import tech.kwik.core.server.ServerConnectionConfig;
import tech.kwik.core.server.ServerConnector;

/**
 * QUIC on Kwik: a server graceful wraps, a client whose data is drained before its close, and the
 * server's graceful shutdown.
 */
public final class QuicExample {
  private QuicExample() {}

  /**
   * Starts a Kwik server for ALPN {@code graceful} that reads every stream its clients open.
   *
   * @param keys holds the server's key and certificate chain under {@code alias}
   * @param alias the key's alias
   * @param password the key's password
   * @param port the UDP port
   * @param loops where each connection's shutdown runs
   * @return the running server
   * @throws IOException if the port cannot be bound
   * @throws CertificateException if the key store holds no usable certificate
   */
  public static QuicServer serve(
      KeyStore keys, String alias, char[] password, int port, LoopGroup loops)
      throws IOException, CertificateException {
    // tag::quic-server[]
    ServerConnector connector =
        ServerConnector.builder()
            .withPort(port)
            .withKeyStore(keys, alias, password)
            .withConfiguration(
                ServerConnectionConfig.builder()
                    .maxIdleTimeoutInSeconds(30)
                    .maxOpenPeerInitiatedBidirectionalStreams(10)
                    .build())
            .withLogger(new NullLogger()) // Kwik's own logging; SysOutLogger shows its packets
            .build();
    QuicServer server = QuicServer.start(connector, "graceful", loops); // starts Kwik's server
    server
        .connections()
        .flatMap(QuicServer.Accepted::peerStreams) // the streams each client opens
        .flatMap(stream -> stream.readAll().onErrorComplete()) // read each to its end
        .subscribe();
    // end::quic-server[]
    return server;
  }

  /**
   * Connects a Kwik client that verifies the server against {@code trusted}.
   *
   * @param host the server's host name, as its certificate names it
   * @param port its UDP port
   * @param trusted the trusted certificates
   * @return the connected client
   * @throws IOException if the connection fails
   */
  public static QuicClientConnection connect(String host, int port, KeyStore trusted)
      throws IOException {
    // tag::quic-client[]
    QuicClientConnection kwik =
        QuicClientConnection.newBuilder()
            .uri(URI.create("https://" + host + ":" + port))
            .applicationProtocol("graceful")
            .customTrustStore(trusted) // the server's certificate is checked against these
            .logger(new NullLogger())
            .build();
    kwik.connect();
    // end::quic-client[]
    return kwik;
  }

  /**
   * Writes {@code payload} on a new stream without concluding it, then closes the connection: the
   * data is drained (sent and acknowledged) before the CONNECTION_CLOSE.
   *
   * @param kwik a connected client
   * @param loops where the shutdown runs
   * @param payload the bytes to send
   * @return how the close ended
   */
  public static ShutdownResult sendThenClose(
      QuicClientConnection kwik, LoopGroup loops, byte[] payload) {
    // tag::quic-close[]
    QuicConnection conn = QuicConnection.of(kwik, loops, "client");
    QuicStreamHandle stream = conn.openStream().block();
    stream.write(ByteBuffer.wrap(payload)).block(); // buffered by Kwik, not necessarily sent yet

    ShutdownResult result =
        conn.shutdown(
                ShutdownSpec.bidirectional() // QUIC: drain, CONNECTION_CLOSE, closing period
                    .with(
                        QuicShutdown.defaults()
                            .closeWith(0, "bye")) // application error code and reason
                    .timeout(Duration.ofSeconds(5)))
            .block();
    // result.drained() == DRAINED: every byte was sent and acknowledged before the close
    // end::quic-close[]
    return result;
  }

  /**
   * Stops {@code server} gracefully.
   *
   * @param server the server
   * @return how every open connection ended
   */
  public static ShutdownReport stop(QuicServer server) {
    // tag::quic-server-shutdown[]
    ShutdownReport report =
        server
            .shutdown(
                ServerShutdown.of(
                        ShutdownSpec.bidirectional()) // drain, then an RFC close, per connection
                    .deadline(Duration.ofSeconds(10))) // stragglers get a rapid close
            .block(); // refuses new connections, closes the open ones, then Kwik's server
    // end::quic-server-shutdown[]
    return report;
  }
}
