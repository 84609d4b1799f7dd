package dev.graceful.samples;

import dev.graceful.core.Initiator;
import dev.graceful.core.LoopGroup;
import dev.graceful.core.ShutdownException;
import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownState;
import dev.graceful.tls.HostnameVerification;
import dev.graceful.tls.TlsConnection;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import reactor.core.Exceptions;
import reactor.core.scheduler.Schedulers;

/** Connects, sends, ends the connection by its mode, and reports how it ended. */
@Command(
    name = "tls-client",
    mixinStandardHelpOptions = true,
    description = "Connect, send --send bytes, end the connection by --mode, print one JSON line.")
class TlsClientCommand implements Callable<Integer> {
  @Option(
      names = "--connect",
      required = true,
      paramLabel = "HOST:PORT",
      description = "the server")
  String connect;

  @Option(
      names = "--repeat",
      paramLabel = "N",
      description = "connections in sequence, one TLS context")
  int repeat = 1;

  @Mixin TlsOptions tls;

  @Mixin ClientSecurityOptions security;

  /**
   * @return true for the DTLS variant
   */
  boolean datagram() {
    return false;
  }

  @Override
  public Integer call() throws Exception {
    tls.datagram = datagram();
    if (repeat < 1) {
      throw new IllegalArgumentException("--repeat must be at least 1");
    }
    InetSocketAddress target =
        Traffic.hostPort(connect); // not yet resolved: no I/O before the checks
    if (tls.tls != null) {
      tls.protocol(); // validates --tls before any I/O
    }
    security.validate();
    InetSocketAddress address = Traffic.resolve(target);
    SSLContext ctx = security.context(tls.contextProtocol());
    HostnameVerification verification = security.hostnameVerification();
    security.warnIfInsecure(System.err);
    Report report = new Report(System.out);
    LoopGroup loops = LoopGroup.create(1);
    try {
      for (int i = 0; i < repeat; i++) {
        once(address, ctx, verification, loops, report);
      }
    } finally {
      loops.shutdown().block(Duration.ofSeconds(10));
    }
    return report.anyError() ? Main.SHUTDOWN_ERROR : Main.OK;
  }

  private void once(
      InetSocketAddress address,
      SSLContext ctx,
      HostnameVerification verification,
      LoopGroup loops,
      Report report) {
    String peer = Report.hostPort(address);
    TlsConnection c;
    try {
      c =
          (datagram()
                  ? TlsConnection.connectDatagram(
                      address, ctx, loops, verification, tls::configure, Schedulers.parallel())
                  : TlsConnection.connect(address, ctx, loops, verification, tls::configure))
              .block(tls.timeout.plusSeconds(5));
    } catch (RuntimeException e) {
      report.add(failed(peer, null, 0, asShutdownError(e, peer)));
      return;
    }
    AtomicLong ignored = new AtomicLong();
    long start = System.nanoTime();
    try {
      Traffic.sendZeros(c, tls.send, tls.timeout).block();
      start = System.nanoTime();
      ShutdownResult r = c.shutdown(tls.spec(ignored::addAndGet)).block();
      report.add(
          new Report.Line(
              peer,
              c.protocol(),
              tls.mode,
              r.state(),
              r.initiator(),
              r.elapsed().toMillis(),
              c.bytesRead(),
              c.resumed(),
              r,
              null));
    } catch (RuntimeException e) {
      report.add(
          failed(
              peer,
              c,
              (System.nanoTime() - start) / 1_000_000,
              asShutdownError(e, c.connectionId())));
    } finally {
      c.release().block(Duration.ofSeconds(5));
    }
  }

  private Report.Line failed(String peer, TlsConnection c, long elapsedMs, ShutdownException e) {
    return new Report.Line(
        peer,
        c == null ? "none" : c.protocol(),
        tls.mode,
        e.state(),
        c == null ? Initiator.LOCAL : c.initiator(),
        elapsedMs,
        c == null ? 0 : c.bytesRead(),
        c != null && c.resumed(),
        null,
        e);
  }

  /**
   * A failure as the JSON line reports it: a shutdown error as it is; a failed handshake (an {@code
   * SSLException}, e.g. a certificate for another host) as {@code PROTOCOL} with the JDK's words;
   * anything else as {@code TRANSPORT}.
   */
  static ShutdownException asShutdownError(Throwable t, String id) {
    Throwable u = Exceptions.unwrap(t);
    if (u instanceof ShutdownException s) {
      return s;
    }
    ShutdownException.Reason reason =
        u instanceof javax.net.ssl.SSLException
            ? ShutdownException.Reason.PROTOCOL
            : ShutdownException.Reason.TRANSPORT;
    String message = u.getMessage() != null ? u.getMessage() : u.getClass().getSimpleName();
    if (u instanceof javax.net.ssl.SSLHandshakeException) {
      message = "handshake failed: " + message;
    }
    return new ShutdownException(reason, id, ShutdownState.NONE, message, u);
  }
}
