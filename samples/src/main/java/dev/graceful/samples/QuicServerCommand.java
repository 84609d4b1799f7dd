package dev.graceful.samples;

import dev.graceful.core.LoopGroup;
import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.quic.QuicConnection;
import dev.graceful.quic.QuicServer;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tech.kwik.core.server.ServerConnectionConfig;
import tech.kwik.core.server.ServerConnector;

/**
 * Accepts QUIC connections (Kwik), counts bytes on every stream the client opens, writes --send
 * bytes on a stream of its own, ends each connection by its mode; on SIGTERM or SIGINT stops
 * accepting and ends every open connection within --timeout, then prints the summary.
 */
@Command(
    name = "quic-server",
    mixinStandardHelpOptions = true,
    description = "Accept QUIC connections, write --send bytes on each, end each by --mode.")
class QuicServerCommand implements Callable<Integer> {
  @Mixin ServerOptions serving;

  @Mixin QuicOptions quic;

  private Serving served;
  private Report report;

  /** One accepted connection. */
  private final class Served {
    final QuicConnection c;
    final Serving.Slot slot;

    Served(QuicConnection c) {
      this.c = c;
      this.slot = served.open(this::end);
    }

    void report(ShutdownResult r, Throwable error) {
      if (!served.claim(slot)) {
        return;
      }
      String peer = QuicCommands.peer(c);
      report.add(
          r != null
              ? QuicCommands.line(peer, quic, r, null, r.initiator())
              : QuicCommands.line(
                  peer, quic, null, TlsClientCommand.asShutdownError(error, c.connectionId()), dev.graceful.core.Initiator.LOCAL));
      served.release(slot);
    }

    Mono<Void> end() {
      return c.shutdown(quic.spec())
          .doOnNext(r -> report(r, null))
          .doOnError(e -> report(null, e))
          .onErrorResume(e -> Mono.empty())
          .then();
    }
  }

  @Override
  public Integer call() throws Exception {
    QuicCommands.validate(quic);
    serving.validate();
    served = new Serving(serving.accept);
    report = new Report(System.out);
    InetSocketAddress at = serving.address();
    java.security.KeyStore identity = TlsContexts.keyStore(serving.cert, serving.key);
    DatagramSocket socket;
    try {
      socket = new DatagramSocket(at);
    } catch (java.net.SocketException e) {
      throw ServerOptions.cannotListen(at, e);
    }
    LoopGroup loops = LoopGroup.perCore();
    ServerConnector connector =
        ServerConnector.builder()
            .withSocket(socket)
            .withKeyStore(identity, TlsContexts.ALIAS, TlsContexts.password())
            .withConfiguration(
                ServerConnectionConfig.builder()
                    .maxIdleTimeoutInSeconds(30)
                    .maxOpenPeerInitiatedBidirectionalStreams(100)
                    .maxOpenPeerInitiatedUnidirectionalStreams(100)
                    .maxBidirectionalStreamBufferSize(4_000_000)
                    .maxConnectionBufferSize(8_000_000)
                    .build())
            .withLogger(new tech.kwik.core.log.NullLogger())
            .build();
    QuicServer server = QuicServer.start(connector, quic.alpn, loops);
    System.err.println("graceful quic-server listening on " + socket.getLocalSocketAddress() + " (ALPN " + quic.alpn + ")");
    Thread hook = new Thread(() -> onSignal(server), "graceful-sigterm");
    Runtime.getRuntime().addShutdownHook(hook);

    Flux<QuicServer.Accepted> conns = server.connections();
    if (serving.accept != null) {
      conns = conns.take(serving.accept);
    }
    served.watch(conns).subscribe(this::serve);
    served.awaitAllEnded();
    if (!served.finish()) {
      return Main.OK; // the signal path owns the ending
    }
    server.close();
    report.summary();
    Runtime.getRuntime().removeShutdownHook(hook);
    return report.anyError() ? Main.SHUTDOWN_ERROR : Main.OK;
  }

  private void serve(QuicServer.Accepted a) {
    Served s = new Served(a.connection());
    System.err.println("graceful: accepted " + s.c.connectionId());
    a.peerStreams().subscribe(h -> h.readAll().subscribe(null, e -> {}));
    Mono<Void> send =
        quic.send > 0
            ? s.c.openStream().flatMap(h -> QuicCommands.sendZeros(h, quic.send))
            : Mono.empty();
    send.then(
            Mono.defer(
                () -> {
                  // keep reading and counting until the peer closes or a signal ends it. Q4:
                  // the first shutdown fixes the code and reason, so this one carries them.
                  if (serving.hold
                      && s.slot.hold(
                          () ->
                              s.c.shutdown(
                                      ShutdownSpec.of(dev.graceful.core.ShutdownMode.WAIT_PEER)
                                          .noTimeout()
                                          .closeWith(quic.errorCode, quic.reason))
                                  .subscribe(r -> s.report(r, null), e -> s.report(null, e)))) {
                    return Mono.empty();
                  }
                  return s.end();
                }))
        .subscribe(v -> {}, e -> s.report(null, e));
  }

  /** SIGTERM / SIGINT: stop accepting, end every open connection by the mode, report, exit. */
  private void onSignal(QuicServer server) {
    if (!served.finish()) {
      return;
    }
    System.err.println("graceful: signal received, shutting down " + served.openCount() + " connections");
    server.stopAccepting().block(Duration.ofSeconds(5));
    served.endAll(quic.timeout.plusSeconds(5));
    server.close();
    report.summary();
    System.out.flush();
    Runtime.getRuntime().halt(report.anyError() ? Main.SHUTDOWN_ERROR : Main.OK);
  }
}
