package dev.graceful.samples;

import dev.graceful.core.LoopGroup;
import dev.graceful.core.ShutdownException;
import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.tls.TlsConnection;
import dev.graceful.tls.DtlsServer;
import dev.graceful.tls.TlsServer;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Accepts connections, sends, ends each by its mode; on SIGTERM or SIGINT stops accepting and
 * ends every open connection gracefully within --timeout, then prints the summary.
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

  /** One accepted connection and what is happening to it. */
  private final class Served {
    final TlsConnection c;
    final AtomicLong read = new AtomicLong();
    final Serving.Slot slot;
    volatile long startNanos = System.nanoTime();

    Served(TlsConnection c) {
      this.c = c;
      this.slot = served.open(this::end);
    }

    void report(ShutdownResult r, Throwable error) {
      if (!served.claim(slot)) {
        return;
      }
      if (r != null) {
        report.add(
            new Report.Line(
                Report.peerOf(c.connectionId()), c.protocol(), r.mode(), r.state(), r.initiator(), r.elapsed().toMillis(),
                c.bytesRead(), c.resumed(), r, null));
      } else {
        ShutdownException e = TlsClientCommand.asShutdownError(error, c.connectionId());
        report.add(
            new Report.Line(
                Report.peerOf(c.connectionId()), c.protocol(), tls.mode, e.state(), c.initiator(),
                (System.nanoTime() - startNanos) / 1_000_000, c.bytesRead(), c.resumed(), null, e));
      }
      c.release().subscribe();
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

  /** @return true for the DTLS variant */
  boolean datagram() {
    return false;
  }

  /** The listening side, TCP or UDP. */
  private record Listener(InetSocketAddress address, Flux<TlsConnection> connections, Mono<Void> stop) {}

  private Listener listen(LoopGroup loops) throws java.security.GeneralSecurityException {
    javax.net.ssl.SSLContext ctx = TlsContexts.server(serving.cert, serving.key, tls.contextProtocol());
    InetSocketAddress at = serving.address();
    try {
      if (datagram()) {
        DtlsServer s =
            DtlsServer.bind(at, ctx, loops.next(), tls::configure, Schedulers.parallel()).block(Duration.ofSeconds(10));
        return new Listener(s.address(), s.connections(), s.stopAccepting());
      }
      TlsServer s = TlsServer.bind(at, ctx, loops, tls::configure).block(Duration.ofSeconds(10));
      return new Listener(s.address(), s.connections(), s.stopAccepting());
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
    System.err.println("graceful " + (datagram() ? "dtls" : "tls") + "-server listening on " + server.address());
    Thread hook = new Thread(() -> onSignal(server), "graceful-sigterm");
    Runtime.getRuntime().addShutdownHook(hook);

    Flux<TlsConnection> conns = server.connections();
    if (serving.accept != null) {
      conns = conns.take(serving.accept);
    }
    served.watch(conns).subscribe(this::serve);
    served.awaitAllEnded();
    if (!served.finish()) {
      return Main.OK; // the signal path owns the ending
    }
    server.stop().block(Duration.ofSeconds(5));
    report.summary();
    Runtime.getRuntime().removeShutdownHook(hook);
    return report.anyError() ? Main.SHUTDOWN_ERROR : Main.OK;
  }

  private void serve(TlsConnection c) {
    Served s = new Served(c);
    Traffic.sendZeros(c, tls.send)
        .then(
            Mono.defer(
                () -> {
                  // keep reading and counting until the peer closes or a signal ends it
                  if (serving.hold
                      && s.slot.hold(
                          () ->
                              c.shutdown(ShutdownSpec.bidirectional().waitPeer().noTimeout().readInto(b -> s.read.addAndGet(b.remaining())))
                                  .subscribe(r -> s.report(r, null), e -> s.report(null, e)))) {
                    return Mono.empty();
                  }
                  return s.end();
                }))
        .subscribe(v -> {}, e -> s.report(null, e));
  }

  /** SIGTERM / SIGINT: stop accepting, end every open connection by the mode, report, exit. */
  private void onSignal(Listener server) {
    if (!served.finish()) {
      return;
    }
    System.err.println("graceful: signal received, shutting down " + served.openCount() + " connections");
    server.stop().block(Duration.ofSeconds(5));
    served.endAll(tls.timeout.plusSeconds(5));
    report.summary();
    System.out.flush();
    Runtime.getRuntime().halt(report.anyError() ? Main.SHUTDOWN_ERROR : Main.OK);
  }
}
