package dev.graceful.samples;

import dev.graceful.core.LoopGroup;
import dev.graceful.core.ShutdownException;
import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.quic.QuicConnection;
import dev.graceful.quic.QuicServer;
import dev.graceful.quic.QuicShutdown;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tech.kwik.core.server.ServerConnectionConfig;
import tech.kwik.core.server.ServerConnector;

/**
 * Accepts QUIC connections (Kwik), counts bytes on every stream the client opens, writes --send
 * bytes on a stream of its own, ends each connection by its mode; on SIGTERM or SIGINT shuts the
 * server down through {@link dev.graceful.core.GracefulShutdown} (stop accepting, end every open
 * connection by the mode within --timeout), prints each connection's line and the summary, and
 * exits normally with its code.
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

  /** Every connection served, by identity: the server's report names them so. */
  private final java.util.Map<String, Served> byId = new java.util.concurrent.ConcurrentHashMap<>();

  /** One accepted connection. */
  private final class Served {
    final QuicConnection c;
    final Serving.Slot slot;
    // when its shutdown began (a held one's peer wait included), or when it was accepted
    private volatile long started = System.nanoTime();

    Served(QuicConnection c) {
      this.c = c;
      this.slot = served.open();
      byId.put(c.connectionId(), this);
    }

    void shuttingDown() {
      started = System.nanoTime();
    }

    void report(ShutdownResult r, Throwable error) {
      if (!served.claim(slot)) {
        return;
      }
      String peer = QuicCommands.peer(c);
      if (r != null) {
        report.add(QuicCommands.line(peer, quic, r));
      } else {
        ShutdownException e = TlsClientCommand.asShutdownError(error, c.connectionId());
        report.add(
            QuicCommands.line(
                peer, quic, e, e.state(), System.nanoTime() - started, c.bytesRead()));
      }
      byId.remove(c.connectionId());
      served.release(slot);
    }

    Mono<Void> end() {
      return c.shutdown(quic.spec())
          .doOnSubscribe(sub -> shuttingDown())
          .doOnNext(r -> report(r, null))
          .doOnError(e -> report(null, e))
          .onErrorResume(e -> Mono.empty())
          .then();
    }
  }

  @Override
  public Integer call() throws Exception {
    if (quic.stack == QuicOptions.Stack.NETTY) {
      return new NettyQuicStack.Server(this).call();
    }
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
    // before "listening": whoever waits for that line may signal at once
    TerminationSignals.handle(() -> onSignal(server), served::awaitSignalEnd);
    System.err.println(
        "graceful quic-server listening on "
            + socket.getLocalSocketAddress()
            + " (ALPN "
            + quic.alpn
            + ")");

    Flux<QuicServer.Accepted> conns = server.connections();
    if (serving.accept != null) {
      conns = conns.take(serving.accept);
    }
    conns.subscribe(this::serve);
    served.awaitEnd();
    if (served.endedBySignal()) {
      return served.signalExitCode();
    }
    if (!served.finish()) { // a signal came as the last connection ended: its shutdown finishes
      served.awaitSignalEnd();
      return served.signalExitCode();
    }
    server.close();
    report.summary();
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
                              s.c
                                  .shutdown(
                                      ShutdownSpec.of(dev.graceful.core.ShutdownMode.WAIT_PEER)
                                          .noTimeout()
                                          .with(
                                              QuicShutdown.defaults()
                                                  .closeWith(quic.errorCode, quic.reason)))
                                  .doOnSubscribe(sub -> s.shuttingDown())
                                  .subscribe(r -> s.report(r, null), e -> s.report(null, e)))) {
                    return Mono.empty();
                  }
                  return s.end();
                }))
        .subscribe(
            v -> {},
            e -> {
              if (reactor.core.Exceptions.unwrap(e) instanceof ShutdownException refused
                  && refused.reason() == ShutdownException.Reason.ILLEGAL_STATE) {
                // the send was refused because a shutdown began (a signal's) or the connection
                // ended: the shutdown's own result is this connection's line
                s.end().subscribe();
              } else {
                s.report(null, e);
              }
            });
  }

  /**
   * SIGTERM / SIGINT, on the signal's thread: starts the server's graceful shutdown and returns
   * (see {@link TerminationSignals}). Held connections stop waiting for their peer; the server
   * stops accepting, ends every open connection by the mode within --timeout and closes Kwik's
   * server; each connection's line is printed, then the summary, and the main thread is woken with
   * the code.
   */
  private void onSignal(dev.graceful.core.GracefulShutdown server) {
    served.shutDownBySignal(
        () ->
            server.shutdown(
                dev.graceful.core.ServerShutdown.of(quic.spec()).deadline(quic.timeout)),
        this::print,
        report,
        quic.timeout);
  }

  /** Prints the line of every connection in the server's report that has not printed its own. */
  private void print(dev.graceful.core.ShutdownReport r) {
    for (dev.graceful.core.ShutdownReport.Entry e : r.entries()) {
      Served s = byId.get(e.connectionId());
      if (s != null) {
        s.report(e.result().orElse(null), e.error().orElse(null));
      }
    }
  }
}
