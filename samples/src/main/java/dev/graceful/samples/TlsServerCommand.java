package dev.graceful.samples;

import dev.graceful.core.GracefulShutdown;
import dev.graceful.core.LoopGroup;
import dev.graceful.core.ServerShutdown;
import dev.graceful.core.ShutdownException;
import dev.graceful.core.ShutdownReport;
import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.tls.DtlsServer;
import dev.graceful.tls.TlsConnection;
import dev.graceful.tls.TlsServer;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Accepts connections, sends, ends each by its mode; on SIGTERM or SIGINT shuts the server down
 * through {@link GracefulShutdown} (stop accepting, end every open connection by the mode within
 * --timeout), prints each connection's line and the summary, and exits normally with its code.
 */
@Command(
    name = "tls-server",
    mixinStandardHelpOptions = true,
    description = "Accept TLS connections, send --send bytes on each, end each by --mode.")
class TlsServerCommand implements Callable<Integer> {
  @Mixin ServerOptions serving;

  @Mixin TlsOptions tls;

  private Serving served;
  private Report report;

  /** Every connection served, by identity: the server's report names them so. */
  private final Map<String, Served> byId = new ConcurrentHashMap<>();

  /** One accepted connection and what is happening to it. */
  private final class Served {
    final TlsConnection c;
    final AtomicLong read = new AtomicLong();
    final Serving.Slot slot;
    volatile long startNanos = System.nanoTime();

    Served(TlsConnection c) {
      this.c = c;
      this.slot = served.open();
      byId.put(c.connectionId(), this);
    }

    void report(ShutdownResult r, Throwable error) {
      if (!served.claim(slot)) {
        return;
      }
      if (r != null) {
        report.add(
            new Report.Line(
                Report.peerOf(c.connectionId()),
                c.protocol(),
                r.mode(),
                r.state(),
                r.initiator(),
                r.elapsed().toMillis(),
                c.bytesRead(),
                c.resumed(),
                r,
                null));
      } else {
        ShutdownException e = TlsClientCommand.asShutdownError(error, c.connectionId());
        report.add(
            new Report.Line(
                Report.peerOf(c.connectionId()),
                c.protocol(),
                tls.mode,
                e.state(),
                c.initiator(),
                (System.nanoTime() - startNanos) / 1_000_000,
                c.bytesRead(),
                c.resumed(),
                null,
                e));
      }
      c.release().subscribe();
      byId.remove(c.connectionId());
      served.release(slot);
    }

    /** Runs the final shutdown by the mode, once. */
    Mono<Void> end() {
      return Mono.defer(
              () -> {
                startNanos = System.nanoTime();
                return c.shutdown(tls.spec(read::addAndGet));
              })
          .doOnNext(r -> report(r, null))
          .doOnError(e -> report(null, e))
          .onErrorResume(e -> Mono.empty())
          .then();
    }
  }

  /**
   * @return true for the DTLS variant
   */
  boolean datagram() {
    return false;
  }

  /** The listening side, TCP or UDP. */
  private record Listener(
      InetSocketAddress address,
      Flux<TlsConnection> connections,
      Mono<Void> stop,
      GracefulShutdown server) {}

  private Listener listen(LoopGroup loops) throws java.security.GeneralSecurityException {
    javax.net.ssl.SSLContext ctx =
        TlsContexts.server(serving.cert, serving.key, tls.contextProtocol());
    InetSocketAddress at = serving.address();
    try {
      if (datagram()) {
        DtlsServer s =
            DtlsServer.bind(at, ctx, loops, tls::configure, Schedulers.parallel())
                .block(Duration.ofSeconds(10));
        return new Listener(s.address(), s.connections(), s.stopAccepting(), s);
      }
      TlsServer s = TlsServer.bind(at, ctx, loops, tls::configure).block(Duration.ofSeconds(10));
      return new Listener(s.address(), s.connections(), s.stopAccepting(), s);
    } catch (RuntimeException e) {
      throw ServerOptions.cannotListen(at, e);
    }
  }

  @Override
  public Integer call() throws Exception {
    tls.datagram = datagram();
    if (tls.tls != null) {
      tls.protocol();
    }
    serving.validate();
    served = new Serving(serving.accept);
    report = new Report(System.out);
    LoopGroup loops = LoopGroup.perCore();
    Listener server;
    try {
      server = listen(loops);
    } catch (RuntimeException | java.security.GeneralSecurityException e) {
      loops.shutdown().block(Duration.ofSeconds(10));
      throw e;
    }
    // before "listening": whoever waits for that line may signal at once
    TerminationSignals.handle(() -> onSignal(server.server()), served::awaitSignalEnd);
    System.err.println(
        "graceful " + (datagram() ? "dtls" : "tls") + "-server listening on " + server.address());

    Flux<TlsConnection> conns = server.connections();
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
    server.stop().block(Duration.ofSeconds(5));
    report.summary();
    return report.anyError() ? Main.SHUTDOWN_ERROR : Main.OK;
  }

  /**
   * How a held connection waits for its peer: without a deadline over TLS; over DTLS, where a
   * close_notify can be lost and waiting without one is refused (T14), for at most {@link
   * #DTLS_HOLD}.
   */
  private ShutdownSpec holding(ShutdownSpec waitPeer) {
    return datagram() ? waitPeer.timeout(DTLS_HOLD) : waitPeer.noTimeout();
  }

  /** The longest a held DTLS connection waits for its peer before it is ended by its deadline. */
  static final Duration DTLS_HOLD = Duration.ofHours(24);

  private void serve(TlsConnection c) {
    Served s = new Served(c);
    // --timeout bounds the send too: a client that never reads must not hold the connection
    Traffic.sendZeros(c, tls.send, tls.timeout)
        .then(
            Mono.defer(
                () -> {
                  // keep reading and counting until the peer closes or a signal ends it
                  if (serving.hold
                      && s.slot.hold(
                          () ->
                              c.shutdown(
                                      holding(
                                          ShutdownSpec.bidirectional()
                                              .waitPeer()
                                              .readInto(b -> s.read.addAndGet(b.remaining()))))
                                  .subscribe(r -> s.report(r, null), e -> s.report(null, e)))) {
                    return Mono.empty();
                  }
                  return s.end();
                }))
        .subscribe(
            v -> {},
            e -> {
              // After a signal the server's shutdown owns every open connection and prints its
              // line: a send it ended (by closing the socket) is not how the connection ended.
              if (!served.ending()) {
                s.report(null, e);
              }
            });
  }

  /**
   * SIGTERM / SIGINT, on the signal's thread: starts the server's graceful shutdown and returns.
   * Held connections stop waiting for their peer; the server stops accepting and ends every open
   * connection by the mode within --timeout; each connection's line is printed (one still ending by
   * its own mode prints its own), then the summary, and the main thread is woken with the code.
   */
  private void onSignal(GracefulShutdown server) {
    served.shutDownBySignal(
        () -> server.shutdown(ServerShutdown.of(tls.spec(n -> {})).deadline(tls.timeout)),
        this::print,
        report,
        tls.timeout);
  }

  /** Prints the line of every connection in the server's report that has not printed its own. */
  private void print(ShutdownReport r) {
    for (ShutdownReport.Entry e : r.entries()) {
      Served s = byId.get(e.connectionId());
      if (s != null) {
        s.startNanos = System.nanoTime() - e.latency().toNanos(); // an error's elapsed time
        s.report(e.result().orElse(null), e.error().orElse(null));
      }
    }
  }
}
