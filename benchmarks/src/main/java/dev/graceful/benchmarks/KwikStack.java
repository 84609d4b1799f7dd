package dev.graceful.benchmarks;

import static dev.graceful.benchmarks.QuicStack.check;

import dev.graceful.core.DrainStatus;
import dev.graceful.core.LoopGroup;
import dev.graceful.core.Outcome;
import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.quic.QuicConnection;
import dev.graceful.quic.QuicOptions;
import dev.graceful.quic.QuicStreamHandle;
import dev.graceful.quic.internal.KwikInternals;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Duration;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import tech.kwik.core.QuicClientConnection;
import tech.kwik.core.QuicStream;

/** graceful's {@link QuicConnection} on Kwik client connections. */
final class KwikStack implements QuicStack {
  private final Config config;
  private final LoopGroup loops;
  private final QuicOptions options;
  private int ackStalls;

  KwikStack(Config config, LoopGroup loops, QuicOptions options) {
    this.config = config;
    this.loops = loops;
    this.options = options;
  }

  @Override
  public String name() {
    return "kwik";
  }

  @Override
  public String description() {
    return "graceful QuicConnection on a Kwik client connection";
  }

  @Override
  public String nativeClose() {
    return "Kwik close(0, \"\") called directly";
  }

  @Override
  public String ptoSource() {
    return "Kwik's own PTO, read through KwikInternals when the close begins";
  }

  /**
   * @param port the peer's port
   * @return a Kwik client connection, its handshake done
   * @throws Exception if it could not connect
   */
  static QuicClientConnection connect(int port) throws Exception {
    QuicClientConnection c =
        QuicClientConnection.newBuilder()
            .uri(URI.create("https://127.0.0.1:" + port))
            .applicationProtocol("bench")
            .noServerCertificateCheck()
            .maxIdleTimeout(Duration.ofSeconds(30))
            .logger(new tech.kwik.core.log.NullLogger())
            .build();
    c.connect();
    return c;
  }

  private QuicClientConnection connect() throws Exception {
    return connect(config.port());
  }

  @Override
  public Timed rapidOnce() throws Exception {
    QuicConnection c = QuicConnection.of(connect(), loops, "rapid", options);
    QuicStack.settle(config.settleMs());
    long gc = QuicStack.collections();
    long t0 = System.nanoTime();
    ShutdownResult r = c.shutdown(ShutdownSpec.bidirectional().rapid().noStreamFlush()).block(WAIT);
    long t1 = System.nanoTime();
    boolean collected = QuicStack.collections() != gc;
    check(r != null && r.outcome() == Outcome.SENT, "rapid gave " + r);
    return new Timed((t1 - t0) / 1e6, collected);
  }

  @Override
  public Timed nativeCloseOnce() throws Exception {
    QuicClientConnection kwik = connect();
    QuicStack.settle(config.settleMs());
    long gc = QuicStack.collections();
    long t0 = System.nanoTime();
    kwik.close(0, "");
    long t1 = System.nanoTime();
    return new Timed((t1 - t0) / 1e6, QuicStack.collections() != gc);
  }

  @Override
  public double[] rfcOnce() throws Exception {
    QuicClientConnection kwik = connect();
    QuicConnection c = QuicConnection.of(kwik, loops, "rfc", options);
    return rfc(kwik, c);
  }

  private static double[] rfc(QuicClientConnection kwik, QuicConnection c) {
    int pto = KwikInternals.pto(kwik).orElse(-1);
    long t0 = System.nanoTime();
    ShutdownResult r = c.shutdown(ShutdownSpec.bidirectional().rfc().noStreamFlush()).block(WAIT);
    long t1 = System.nanoTime();
    check(r != null && r.outcome() == Outcome.COMPLETE, "rfc gave " + r);
    // NaN where Kwik's internals cannot be read: no 3×PTO, and no figure against it
    return new double[] {(t1 - t0) / 1e6, pto > 0 ? 3.0 * pto : Double.NaN};
  }

  @Override
  public double[] rfcIntoSilence() throws Exception {
    try (dev.graceful.testkit.LossyRelay relay =
        new dev.graceful.testkit.LossyRelay(
            new InetSocketAddress("127.0.0.1", config.port()), (up, d) -> false)) {
      QuicClientConnection kwik = connect(relay.address().getPort());
      QuicConnection c = QuicConnection.of(kwik, loops, "rfc-silent", options);
      relay.drop((up, d) -> true);
      return rfc(kwik, c);
    }
  }

  @Override
  public double drainOnce(boolean hook) throws Exception {
    QuicConnection c = QuicConnection.of(connect(), loops, "drain", options);
    QuicStreamHandle s = c.openStream().block(WAIT);
    if (hook) {
      s.acknowledgedBy(readOneByte(s.kwik()));
    }
    long t0 = System.nanoTime();
    long[] written = new long[1];
    Throwable[] failed = new Throwable[1];
    s.write(ByteBuffer.allocate(config.size()))
        .subscribe(null, e -> failed[0] = e, () -> written[0] = System.nanoTime());
    ShutdownResult r = c.shutdown(ShutdownSpec.bidirectional().rapid().timeout(WAIT)).block(WAIT);
    long t1 = System.nanoTime();
    check(r != null && r.drained() == DrainStatus.DRAINED, "drain gave " + r);
    check(failed[0] == null, "the drained write failed: " + failed[0]);
    if (config.verbose()) {
      System.out.printf(
          "  kwik drain%s: %s, closed after %.1f ms, %d stall restarts%n",
          hook ? " (acknowledgedBy)" : "",
          written[0] != 0
              ? String.format(
                  java.util.Locale.ROOT, "write returned after %.1f ms", (written[0] - t0) / 1e6)
              : failed[0] != null ? "write failed (" + failed[0] + ")" : "write not returned",
          (t1 - t0) / 1e6,
          c.stallRecoveries().block(WAIT));
    }
    return (t1 - t0) / 1e6;
  }

  @Override
  public double ackOnce() throws Exception {
    QuicConnection c = QuicConnection.of(connect(), loops, "ack", options);
    QuicStreamHandle s = c.openStream().block(WAIT);
    Mono<Integer> ack = readOneByte(s.kwik());
    int size = config.size();
    long t0 = System.nanoTime();
    // The application's own write on Kwik's stream, which graceful does not watch: the baseline
    // without graceful (a write through the handle would have its stalls restarted)
    Mono.fromCallable(
            () -> {
              s.kwik().getOutputStream().write(new byte[size]);
              return size;
            })
        .subscribeOn(Schedulers.boundedElastic())
        .subscribe(null, e -> {});
    Integer b =
        ack.timeout(ACK_DEADLINE)
            .onErrorResume(java.util.concurrent.TimeoutException.class, e -> Mono.empty())
            .block(WAIT);
    long t1 = System.nanoTime();
    c.shutdown(ShutdownSpec.bidirectional().rapid().noStreamFlush()).block(WAIT);
    if (b == null) {
      // Kwik's lost wakeup: the stream stopped sending and nothing restarts it
      ackStalls++;
      return Double.NaN;
    }
    check(b == 1, "bad acknowledgement " + b);
    return (t1 - t0) / 1e6;
  }

  @Override
  public int ackStalls() {
    return ackStalls;
  }

  @Override
  public Opened open(boolean rapid) throws Exception {
    QuicClientConnection kwik = connect();
    if (rapid) {
      QuicConnection c = QuicConnection.of(kwik, loops, "cpu", options);
      return new Opened() {
        @Override
        public void close() {
          ShutdownResult r =
              c.shutdown(ShutdownSpec.bidirectional().rapid().noStreamFlush()).block(WAIT);
          check(r != null && r.outcome() == Outcome.SENT, "rapid gave " + r);
        }

        @Override
        public void release() {}
      };
    }
    return new Opened() {
      @Override
      public void close() {
        kwik.close(0, "");
      }

      @Override
      public void release() {}
    };
  }

  private static Mono<Integer> readOneByte(QuicStream stream) {
    return Mono.fromCallable(() -> stream.getInputStream().read())
        .subscribeOn(Schedulers.boundedElastic());
  }

  @Override
  public void close() {}
}
