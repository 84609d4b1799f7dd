package dev.graceful.samples;

import dev.graceful.core.LoopGroup;
import dev.graceful.core.ShutdownException;
import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownState;
import dev.graceful.quic.QuicClient;
import dev.graceful.quic.QuicConnection;
import dev.graceful.quic.QuicStreamHandle;
import java.net.InetSocketAddress;
import java.security.KeyStore;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Connects over QUIC, writes on one stream, ends the connection by its mode, reports how. */
@Command(
    name = "quic-client",
    mixinStandardHelpOptions = true,
    description =
        "Connect over QUIC (Kwik, or Netty's codec with --stack netty), open one bidirectional stream, write --send bytes on it without"
            + " concluding it, end the connection by --mode, print one JSON line.")
class QuicClientCommand implements Callable<Integer> {
  @Option(
      names = "--connect",
      required = true,
      paramLabel = "HOST:PORT",
      description = "the server")
  String connect;

  @Mixin QuicOptions quic;

  @Mixin ClientSecurityOptions security;

  @Override
  public Integer call() throws Exception {
    if (quic.stack == QuicOptions.Stack.NETTY) {
      return NettyQuicStack.client(this);
    }
    InetSocketAddress target = Traffic.hostPort(connect);
    QuicCommands.validate(quic);
    security.validate();
    InetSocketAddress address = Traffic.resolve(target);
    QuicClient client = client(address, quic.alpn, security);
    security.warnIfInsecure(System.err);
    Report report = new Report(System.out);
    LoopGroup loops = LoopGroup.create(1);
    String peer = Report.hostPort(address);
    QuicConnection c = null;
    long started = System.nanoTime(); // of the attempt; then of the shutdown
    try {
      c = client.connect(loops).block(quic.timeout.plusSeconds(30));
      QuicConnection conn = c;
      // count what the server sends on streams it opens, too
      c.kwik()
          .setPeerInitiatedStreamCallback(
              s -> conn.adopt(s).flatMap(QuicStreamHandle::readAll).subscribe(null, e -> {}));
      QuicStreamHandle stream = c.openStream().block(quic.timeout);
      stream.readAll().subscribe(null, e -> {}); // counts what the server sends, until the end
      QuicCommands.sendZeros(stream, quic.send).block();
      System.err.println(
          "graceful: sent " + quic.send + " bytes, shutting down by " + quic.mode.cliName());
      started = System.nanoTime();
      ShutdownResult r = c.shutdown(quic.spec()).block();
      report.add(QuicCommands.line(peer, quic, r));
    } catch (RuntimeException e) {
      ShutdownException err =
          QuicCommands.asShutdownError(e, c == null ? "quic-client->" + peer : c.connectionId());
      report.add(
          QuicCommands.line(
              peer,
              quic,
              err,
              c == null ? ShutdownState.NONE : c.shutdownState(),
              System.nanoTime() - started,
              c == null ? 0 : c.bytesRead()));
    } finally {
      loops.shutdown().block(Duration.ofSeconds(10));
    }
    return report.anyError() ? Main.SHUTDOWN_ERROR : Main.OK;
  }

  /** The client these options describe: verifying by default (S1). */
  static QuicClient client(InetSocketAddress address, String alpn, ClientSecurityOptions security)
      throws java.security.GeneralSecurityException {
    QuicClient client =
        QuicClient.to(address, alpn)
            .trustManager(security.trustManager())
            .kwik(
                b ->
                    b.maxIdleTimeout(Duration.ofSeconds(30))
                        .maxOpenPeerInitiatedBidirectionalStreams(100)
                        .maxOpenPeerInitiatedUnidirectionalStreams(100)
                        .logger(new tech.kwik.core.log.NullLogger()));
    if (security.servername != null) {
      client = client.serverName(security.servername);
    }
    if (security.insecure) {
      client = client.insecureSkipHostnameVerification();
    }
    KeyStore id = security.identity();
    if (id != null) {
      client =
          client.clientCertificate(
              ClientSecurityOptions.certificate(id), ClientSecurityOptions.privateKey(id));
    }
    return client;
  }
}
