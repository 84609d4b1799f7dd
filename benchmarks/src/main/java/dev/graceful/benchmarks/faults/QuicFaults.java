package dev.graceful.benchmarks.faults;

import dev.graceful.core.DrainStatus;
import dev.graceful.core.Outcome;
import dev.graceful.core.ShutdownException;
import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.core.Shutdownable;
import dev.graceful.quic.QuicConnection;
import dev.graceful.quic.QuicStreamHandle;
import dev.graceful.testkit.DatagramFaultRelay;
import dev.graceful.testkit.DatagramFaultRelay.Faults;
import java.io.InputStream;
import java.io.OutputStream;
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
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import tech.kwik.core.QuicClientConnection;
import tech.kwik.core.QuicStream;
import tech.kwik.core.server.ApplicationProtocolConnection;
import tech.kwik.core.server.ServerConnectionConfig;
import tech.kwik.core.server.ServerConnector;

/**
 * QUIC client rows: graceful's {@code QuicConnection} over a Kwik client against a plain Kwik
 * server (no graceful on that side), through a {@link DatagramFaultRelay} armed once the connection
 * is up: the drain and the close run under loss, reordering, duplication or silence. Also what the
 * server rows ({@link QuicServerFaults}) and the Netty rows ({@link NettyQuicFaults}) share with
 * them: the faults, the Kwik ends and the judgement.
 */
final class QuicFaults implements AutoCloseable {
  static final String ALPN = "faults";

  /**
   * One QUIC fault.
   *
   * @param name the row's fault
   * @param faults what the relay does once armed
   * @param silent whether the relay drops everything instead
   * @param cancel whether an RFC shutdown is cancelled after 0–59 ms for a rapid one
   */
  record Kind(String name, Faults faults, boolean silent, boolean cancel) {
    String accepts() {
      return cancel
          ? "the rapid close SENT or COMPLETE"
          : silent
              ? "truncationRisk with NOT_DRAINED or TIMEOUT drainage; TIMEOUT"
              : "DRAINED with every byte read by the peer application; NOT_DRAINED or"
                  + " TIMEOUT drainage with truncationRisk; TIMEOUT";
    }
  }

  /** The faults of every QUIC row, in either role. */
  static final List<Kind> KINDS =
      List.of(
          new Kind("drain+close, loss 10%", new Faults(0.10, 0, 0), false, false),
          new Kind("drain+close, loss 20%", new Faults(0.20, 0, 0), false, false),
          new Kind("drain+close, loss 30%", new Faults(0.30, 0, 0), false, false),
          new Kind("drain+close, reorder 30%", new Faults(0, 0.30, 0), false, false),
          new Kind("drain+close, dup 30%", new Faults(0, 0, 0.30), false, false),
          new Kind("drain+close, silent peer", Faults.NONE, true, false),
          new Kind("cancel, then rapid", new Faults(0.10, 0.10, 0.10), false, true));

  /** How long every QUIC trial's shutdown may take. */
  static final Duration DEADLINE = Duration.ofMillis(3_000);

  private final Campaign.Env env;
  private ServerConnector server;
  private int port;

  /** What the server's application read on each trial's stream, by the trial's id. */
  private final Map<Long, Long> read = new ConcurrentHashMap<>();

  QuicFaults(Campaign.Env env) {
    this.env = env;
  }

  List<Scenario> scenarios() {
    List<Scenario> rows = new ArrayList<>();
    for (Kind k : KINDS) {
      rows.add(
          new Scenario(
              "QUIC",
              "client",
              k.name(),
              "Kwik server",
              k.accepts(),
              3,
              1.2,
              seed -> trial(k, seed)));
    }
    return rows;
  }

  private KeyStore trusted;

  /** A trust store of the server's one certificate: Kwik verifies the server against it. */
  synchronized KeyStore trusted() throws Exception {
    if (trusted == null) {
      trusted = KeyStore.getInstance("PKCS12");
      trusted.load(null, null);
      trusted.setCertificateEntry("server", env.certs.cert().certificate());
    }
    return trusted;
  }

  /** The plain Kwik server's port, started by the first trial that asks. */
  synchronized int port() throws Exception {
    if (server == null) {
      server = start();
    }
    return port;
  }

  /**
   * A Kwik server on {@code socket} with the campaign's certificate, not started and with no
   * application protocol: the plain server of the client rows, graceful's {@code QuicServer} of the
   * server rows.
   */
  ServerConnector connector(DatagramSocket socket) throws Exception {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setKeyEntry(
        "s",
        env.certs.cert().keys().getPrivate(),
        "p".toCharArray(),
        new X509Certificate[] {env.certs.cert().certificate()});
    return ServerConnector.builder()
        .withSocket(socket)
        .withKeyStore(ks, "s", "p".toCharArray())
        .withConfiguration(
            ServerConnectionConfig.builder()
                .maxIdleTimeoutInSeconds(10)
                .maxOpenPeerInitiatedBidirectionalStreams(10)
                .maxBidirectionalStreamBufferSize(1_000_000)
                .maxConnectionBufferSize(2_000_000)
                .build())
        .withLogger(new tech.kwik.core.log.NullLogger())
        .build();
  }

  private ServerConnector start() throws Exception {
    DatagramSocket socket = loopbackSocket();
    port = socket.getLocalPort();
    ServerConnector s = connector(socket);
    s.registerApplicationProtocol(
        ALPN,
        (protocol, connection) ->
            new ApplicationProtocolConnection() {
              @Override
              public void acceptPeerInitiatedStream(QuicStream stream) {
                env.peers.execute(() -> serve(stream));
              }
            });
    s.start();
    return s;
  }

  static DatagramSocket loopbackSocket() throws java.net.SocketException {
    return new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
  }

  /** A Kwik client connected through the relay at {@code port}, trusting the campaign's server. */
  QuicClientConnection client(int port) throws Exception {
    QuicClientConnection kwik =
        QuicClientConnection.newBuilder()
            .uri(URI.create("https://localhost:" + port))
            .applicationProtocol(ALPN)
            .customTrustStore(trusted())
            .maxIdleTimeout(Duration.ofSeconds(10))
            .logger(new tech.kwik.core.log.NullLogger())
            .build();
    kwik.connect();
    return kwik;
  }

  /** Reads a stream: an 8-byte id, an 8-byte length, the data; one byte back once all is read. */
  private void serve(QuicStream stream) {
    byte[] buf = new byte[32 * 1024];
    try {
      InputStream in = stream.getInputStream();
      java.io.DataInputStream head = new java.io.DataInputStream(in);
      long id = head.readLong();
      long length = head.readLong();
      long got = 0;
      int n;
      while (got < length && (n = in.read(buf, 0, (int) Math.min(buf.length, length - got))) >= 0) {
        got += n;
      }
      read.put(id, got);
      if (got == length) {
        OutputStream out = stream.getOutputStream();
        out.write(1);
        out.flush();
      }
    } catch (Exception ended) {
      // the connection closed first
    }
  }

  Verdict trial(Kind k, long seed) throws Exception {
    Random rnd = new Random(seed);
    int size = size(rnd);
    boolean ackHook = rnd.nextBoolean();
    try (DatagramFaultRelay relay =
        new DatagramFaultRelay(new InetSocketAddress("127.0.0.1", port()), seed)) {
      QuicClientConnection kwik = client(relay.address().getPort());
      QuicConnection c = QuicConnection.of(kwik, env.loops, "fault-" + Long.toHexString(seed));
      try {
        QuicStreamHandle stream = c.openStream().block(TlsPair.SETUP);
        if (ackHook) {
          acknowledgedByOneByte(stream);
        }
        ByteBuffer data = ByteBuffer.allocate(16 + size);
        data.putLong(seed).putLong(size).rewind(); // the rest: size zero bytes
        arm(relay, k);
        // not waited for: under loss or silence Kwik's send buffer fills and the write waits for
        // acknowledgements; the drain is what waits for it
        stream.write(data).subscribe(null, err -> {});
        return judge(close(c, k, rnd), k, ackHook, size, () -> awaitRead(seed, size));
      } finally {
        try {
          release(c);
        } finally {
          kwik.close();
        }
      }
    }
  }

  /** A trial's stream length: under 64 bytes one time in ten, else 1–65 KiB. */
  static int size(Random rnd) {
    return rnd.nextInt(10) == 0 ? rnd.nextInt(64) : 1024 + rnd.nextInt(64 * 1024);
  }

  /** The drain waits for one byte from the peer's application, sent once it read everything. */
  static void acknowledgedByOneByte(QuicStreamHandle stream) {
    stream.acknowledgedBy(
        Mono.fromCallable(() -> stream.kwik().getInputStream().read())
            .subscribeOn(Schedulers.boundedElastic()));
  }

  static void arm(DatagramFaultRelay relay, Kind k) {
    if (k.silent()) {
      relay.silence();
    } else {
      relay.faults(k.faults());
    }
  }

  /**
   * Shuts {@code c} down as the row says: an RFC shutdown within {@link #DEADLINE}, or one
   * cancelled after 0–59 ms and then a rapid one.
   */
  static Ending close(Shutdownable c, Kind k, Random rnd) throws InterruptedException {
    ShutdownSpec spec = ShutdownSpec.bidirectional().rfc().timeout(DEADLINE);
    if (k.cancel()) {
      Disposable first = c.shutdown(spec).subscribe(r -> {}, err -> {});
      Thread.sleep(rnd.nextInt(60));
      first.dispose();
      spec = ShutdownSpec.bidirectional().rapid().timeout(DEADLINE);
    }
    return Ending.await(c.shutdown(spec), DEADLINE);
  }

  /** What the peer's application read of the stream. */
  @FunctionalInterface
  interface PeerRead {
    long read() throws InterruptedException;
  }

  /**
   * Judges a QUIC shutdown's ending: an RFC close {@code COMPLETE} (a cancelled one's rapid close
   * SENT or COMPLETE); a drain not DRAINED reports truncationRisk; nothing DRAINED through a silent
   * relay; with {@code acknowledgedBy}, DRAINED only once the peer's application read every byte
   * (the shortfall counts as lost); a TIMEOUT error.
   *
   * @param ackHook whether the drain waited for the peer application's byte
   * @param size what was written on the stream
   * @param peerRead asked only for a DRAINED drain with {@code ackHook}
   */
  static Verdict judge(Ending e, Kind k, boolean ackHook, long size, PeerRead peerRead)
      throws InterruptedException {
    String step =
        k.cancel()
            ? "cancelled, then rapid"
            : ackHook ? "acknowledgedBy" : "Kwik's acknowledgements";
    if (e.hung()) {
      return Verdict.hung(step + ": no signal " + e.millis() + " ms after subscribing");
    }
    Verdict v = Verdict.ok(e.label());
    ShutdownResult r = e.result();
    if (r == null) {
      return e.isError(ShutdownException.Reason.TIMEOUT)
          ? v
          : v.and(step + ": unexpected ending " + e.describe());
    }
    if (k.cancel()) {
      return r.outcome() == Outcome.SENT || r.outcome() == Outcome.COMPLETE
          ? v
          : v.and(step + ": unexpected result " + r);
    }
    if (r.outcome() != Outcome.COMPLETE) {
      return v.and(step + ": an RFC close ended " + r);
    }
    return drained(v, r, k, ackHook, size, peerRead, step);
  }

  /** The drain's part of {@link #judge}, for a result whose outcome was accepted. */
  static Verdict drained(
      Verdict v,
      ShutdownResult r,
      Kind k,
      boolean ackHook,
      long size,
      PeerRead peerRead,
      String step)
      throws InterruptedException {
    if (r.drained() != DrainStatus.DRAINED) {
      return r.truncationRisk() ? v : v.and(step + ": not drained, no truncationRisk: " + r);
    }
    if (k.silent()) {
      return v.and(step + ": DRAINED through a relay that dropped everything: " + r);
    }
    if (ackHook) {
      long got = peerRead.read();
      return v.lost(
          size - got, step + ": DRAINED but the peer application read " + got + " of " + size);
    }
    return v;
  }

  /** Ends what a trial left of {@code c}: a rapid close without a drain, errors ignored. */
  static void release(Shutdownable c) {
    c.shutdown(ShutdownSpec.bidirectional().rapid().noStreamFlush())
        .timeout(TlsPair.SETUP)
        .onErrorResume(err -> Mono.empty())
        .block();
  }

  /** What the server's application read of a trial's stream, waiting a moment for its reader. */
  long awaitRead(long id, long size) throws InterruptedException {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
    for (; ; ) {
      Long got = read.get(id);
      if ((got != null && got == size) || System.nanoTime() > until) {
        read.remove(id);
        return got == null ? 0 : got;
      }
      Thread.sleep(5);
    }
  }

  @Override
  public void close() {
    if (server != null) {
      server.close();
    }
  }
}
