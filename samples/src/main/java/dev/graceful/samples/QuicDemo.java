package dev.graceful.samples;

import dev.graceful.core.DrainStatus;
import dev.graceful.core.LoopGroup;
import dev.graceful.core.Outcome;
import dev.graceful.core.ServerShutdown;
import dev.graceful.core.ShutdownReport;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.quic.QuicServer;
import dev.graceful.testkit.SelfSignedCertificate;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import tech.kwik.core.QuicClientConnection;
import tech.kwik.core.server.ServerConnectionConfig;
import tech.kwik.core.server.ServerConnector;

/**
 * The demo's QUIC part: a Kwik server tracked by {@link QuicServer}; each connection has data
 * written by the server just before the shutdown, which drains it all before its RFC close.
 */
final class QuicDemo {
  private static final Duration WAIT = Duration.ofSeconds(60);
  static final int SIZE = 128 * 1024;

  private QuicDemo() {}

  static DemoTable.Section run(
      SelfSignedCertificate cert, int clients, LoopGroup loops, Progress progress)
      throws Exception {
    Progress.Phase connecting =
        progress.start(
            "Kwik QUIC: server up, "
                + clients
                + " clients connect and request "
                + SIZE
                + " bytes each");
    KeyStore trusted = KeyStore.getInstance("PKCS12");
    trusted.load(null, null);
    trusted.setCertificateEntry("demo", cert.certificate());
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setKeyEntry(
        "demo",
        cert.keys().getPrivate(),
        "demo".toCharArray(),
        new X509Certificate[] {cert.certificate()});
    DatagramSocket socket =
        new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    ServerConnector connector =
        ServerConnector.builder()
            .withSocket(socket)
            .withKeyStore(ks, "demo", "demo".toCharArray())
            .withConfiguration(
                ServerConnectionConfig.builder()
                    .maxIdleTimeoutInSeconds(30)
                    .maxOpenPeerInitiatedBidirectionalStreams(10)
                    .build())
            .withLogger(new tech.kwik.core.log.NullLogger())
            .build();
    QuicServer server = QuicServer.start(connector, "graceful-demo", loops);
    List<String> problems = new ArrayList<>();
    List<QuicClientConnection> kwikClients = new ArrayList<>();
    List<AtomicLong> received = new ArrayList<>();
    try {
      // each client opens a stream with a one-line request; the server answers on it with SIZE
      // bytes, not concluded, and shuts down while they are in flight
      java.util.concurrent.CountDownLatch writing =
          new java.util.concurrent.CountDownLatch(clients);
      server
          .connections()
          .subscribe(
              a ->
                  a.peerStreams()
                      .subscribe(
                          h -> {
                            // the client application answers one byte once it has read everything:
                            // the drain ends on that (end to end), not only on QUIC
                            // acknowledgements
                            h.acknowledgedBy(
                                Mono.fromCallable(
                                        () -> {
                                          // past the request line, to the client's '.'
                                          for (int b;
                                              (b = h.kwik().getInputStream().read()) >= 0; ) {
                                            if (b == '.') {
                                              return true;
                                            }
                                          }
                                          throw new java.io.EOFException("no acknowledgement");
                                        })
                                    .subscribeOn(Schedulers.boundedElastic()));
                            h.write(ByteBuffer.allocate(SIZE)).subscribe(null, e -> {});
                            writing.countDown(); // counted in flight from its subscription
                          }));
      for (int i = 0; i < clients; i++) {
        QuicClientConnection c =
            QuicClientConnection.newBuilder()
                // verified as Kwik verifies: a trusted certificate for the DNS name connected to
                // (Kwik's own host name check knows no IP address entries), packets to 127.0.0.1
                .uri(URI.create("https://localhost:" + socket.getLocalPort()))
                .proxy("127.0.0.1")
                .applicationProtocol("graceful-demo")
                .customTrustStore(trusted)
                .logger(new tech.kwik.core.log.NullLogger())
                .build();
        c.connect();
        tech.kwik.core.QuicStream stream = c.createStream(true);
        stream
            .getOutputStream()
            .write("GET\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        stream.getOutputStream().flush();
        AtomicLong got = new AtomicLong();
        Thread reader =
            new Thread(
                () -> {
                  byte[] buf = new byte[16 * 1024];
                  try {
                    for (int n; (n = stream.getInputStream().read(buf)) >= 0; ) {
                      if (got.addAndGet(n) == SIZE) {
                        stream.getOutputStream().write('.');
                        stream.getOutputStream().flush();
                      }
                    }
                  } catch (java.io.IOException ended) {
                    // the connection closed
                  }
                },
                "demo-quic-client-" + i);
        reader.setDaemon(true);
        reader.start();
        kwikClients.add(c);
        received.add(got);
      }
      if (!writing.await(WAIT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS)) {
        problems.add(
            "quic: only "
                + (clients - writing.getCount())
                + " of "
                + clients
                + " requests reached the server");
      }
      connecting.end();
      Progress.Phase shutdown =
          progress.start(
              "Kwik QUIC: graceful shutdown with responses in flight (deadline 10000 ms)");
      ShutdownReport report =
          server
              .shutdown(
                  ServerShutdown.of(ShutdownSpec.bidirectional()).deadline(Duration.ofSeconds(10)))
              .block(WAIT);
      shutdown.end(report.connections() + " connections");
      Progress.Phase checking = progress.start("Kwik QUIC: what each client received");
      long whole =
          Flux.fromIterable(received)
              .filterWhen(
                  got ->
                      Mono.fromCallable(() -> got.get() == SIZE)
                          .filter(Boolean::booleanValue)
                          .repeatWhenEmpty(20, r -> r.delayElements(Duration.ofMillis(50)))
                          .onErrorReturn(false))
              .count()
              .block(WAIT);
      if (whole != clients) {
        problems.add(
            "quic: " + whole + " of " + clients + " clients received all " + SIZE + " bytes");
      }
      long drained =
          report.entries().stream()
              .filter(e -> e.result().map(r -> r.drained() == DrainStatus.DRAINED).orElse(false))
              .count();
      if (drained != clients || report.outcomes().getOrDefault(Outcome.COMPLETE, 0) != clients) {
        problems.add(
            "quic: server saw "
                + report.outcomes()
                + " "
                + report.errors()
                + ", "
                + drained
                + " drained");
      }
      checking.end();
      return new DemoTable.Section(
          "Kwik QUIC", report.connections(), report.elapsed().toMillis(), rows(report), problems);
    } finally {
      server.close();
      kwikClients.forEach(c -> c.close());
    }
  }

  private static List<DemoTable.Row> rows(ShutdownReport report) {
    return DemoTable.rows(
        "Kwik QUIC",
        "drain+rfc",
        report,
        e ->
            (e.forced() ? "FORCED " : "")
                + e.result()
                    .map(
                        r ->
                            r.outcome()
                                + "/"
                                + r.initiator()
                                + (r.drained() == DrainStatus.DRAINED
                                    ? " drained"
                                    : " " + r.drained()))
                    .orElseGet(() -> e.error().get().reason().name()),
        ending -> "128 KiB in flight");
  }
}
