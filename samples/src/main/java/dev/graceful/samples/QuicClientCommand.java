package dev.graceful.samples;

import dev.graceful.core.Initiator;
import dev.graceful.core.LoopGroup;
import dev.graceful.core.ShutdownException;
import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownState;
import dev.graceful.quic.QuicConnection;
import dev.graceful.quic.QuicStreamHandle;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import tech.kwik.core.QuicClientConnection;

/** Connects over QUIC, writes on one stream, ends the connection by its mode, reports how. */
@Command(
    name = "quic-client",
    mixinStandardHelpOptions = true,
    description =
        "Connect over QUIC (Kwik), open one bidirectional stream, write --send bytes on it without"
            + " concluding it, end the connection by --mode, print one JSON line.")
class QuicClientCommand implements Callable<Integer> {
  @Option(names = "--connect", required = true, paramLabel = "HOST:PORT", description = "the server")
  String connect;

  @Option(names = "--insecure", description = "accept any server certificate")
  boolean insecure;

  @Mixin QuicOptions quic;

  @Override
  public Integer call() throws Exception {
    InetSocketAddress address = Traffic.hostPort(connect);
    QuicCommands.validate(quic);
    Report report = new Report(System.out);
    LoopGroup loops = LoopGroup.create(1);
    String id = "quic-client->" + connect;
    QuicConnection c = null;
    try {
      QuicClientConnection.Builder b =
          QuicClientConnection.newBuilder()
              .uri(URI.create("https://" + address.getHostString() + ":" + address.getPort()))
              .applicationProtocol(quic.alpn)
              .maxIdleTimeout(Duration.ofSeconds(30))
              .maxOpenPeerInitiatedBidirectionalStreams(100)
              .maxOpenPeerInitiatedUnidirectionalStreams(100)
              .logger(new tech.kwik.core.log.NullLogger());
      if (insecure) {
        // Kwik prints its warning on stdout, which is for JSON only: graceful prints it on stderr
        System.setProperty("tech.kwik.core.no-security-warnings", "true");
        System.err.println("graceful: --insecure: the server's certificate is not checked");
        b.noServerCertificateCheck();
      }
      QuicClientConnection kwik = b.build();
      kwik.connect();
      c = QuicConnection.of(kwik, loops.next(), id);
      QuicConnection conn = c;
      // count what the server sends on streams it opens, too
      kwik.setPeerInitiatedStreamCallback(s -> conn.adopt(s).flatMap(QuicStreamHandle::readAll).subscribe(null, e -> {}));
      QuicStreamHandle stream = c.openStream().block(quic.timeout);
      stream.readAll().subscribe(null, e -> {}); // counts what the server sends, until the end
      QuicCommands.sendZeros(stream, quic.send).block();
      System.err.println("graceful: sent " + quic.send + " bytes, shutting down by " + quic.mode.cliName());
      ShutdownResult r = c.shutdown(quic.spec()).block();
      report.add(QuicCommands.line(quic, r, null, Initiator.LOCAL));
    } catch (RuntimeException | java.io.IOException e) {
      ShutdownException err = TlsClientCommand.asShutdownError(e, id);
      report.add(QuicCommands.line(quic, null, err, Initiator.LOCAL, c == null ? ShutdownState.NONE : c.shutdownState()));
    } finally {
      loops.shutdown().block(Duration.ofSeconds(10));
    }
    return report.anyError() ? Main.SHUTDOWN_ERROR : Main.OK;
  }
}
