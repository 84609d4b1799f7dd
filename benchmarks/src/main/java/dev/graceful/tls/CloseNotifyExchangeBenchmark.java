package dev.graceful.tls;

import dev.graceful.core.Outcome;
import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.testkit.TestCerts;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLException;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * One close_notify exchange in memory, both sides' wrap and unwrap: graceful (a bidirectional
 * shutdown answered by a peer-wait shutdown, each a {@code Mono<ShutdownResult>} over a memory
 * transport, with its default deadline armed) against the bare JDK engine calls.
 *
 * <p>Every exchange needs a fresh handshaken pair, and a handshake costs a hundred exchanges. So
 * the pairs for the whole trial are handshaken in the trial's setup, and each single-shot iteration
 * ends {@value #BATCH} of them: the time and JMH's GC profiler ({@code -prof gc}, whose {@code
 * gc.alloc.rate.norm} is bytes allocated per exchange) then see the exchanges alone, since the
 * setup falls in the first warmup iteration.
 *
 * <pre>
 * java -cp benchmarks/target/graceful-benchmarks.jar org.openjdk.jmh.Main CloseNotifyExchange -prof gc
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = CloseNotifyExchangeBenchmark.WARMUP)
@Measurement(iterations = CloseNotifyExchangeBenchmark.MEASURE)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class CloseNotifyExchangeBenchmark {
  static final int BATCH = 200;
  static final int WARMUP = 10;
  static final int MEASURE = 10;
  private static final int TRANSPORT_CAPACITY = 8 * 1024;

  @Param({"TLSv1.3", "TLSv1.2"})
  public String protocol;

  @Param({"graceful", "raw"})
  public String stack;

  private final ArrayDeque<BioPair> graceful = new ArrayDeque<>();
  private final ArrayDeque<RawPair> raw = new ArrayDeque<>();

  @Setup(Level.Trial)
  public void handshakeEveryPair(BenchmarkParams params) throws Exception {
    TestCerts certs = TestCerts.create();
    String version = protocol.substring("TLSv".length());
    int iterations = params.getWarmup().getCount() + params.getMeasurement().getCount();
    for (int i = 0; i < BATCH * iterations; i++) {
      if (stack.equals("graceful")) {
        BioPair p = new BioPair(certs, version, TRANSPORT_CAPACITY);
        CompletableFuture<TlsConnection> c = p.client.handshake().toFuture();
        CompletableFuture<TlsConnection> s = p.server.handshake().toFuture();
        p.pump();
        c.join();
        s.join();
        // one byte of data read, as on a connection in use: the client has consumed the TLS 1.3
        // session tickets before its shutdown starts (the raw pair below does the same)
        CompletableFuture<ByteBuffer> read = p.client.receive().next().toFuture();
        p.server.send(ByteBuffer.wrap(new byte[] {1})).subscribe();
        p.pump();
        if (read.join().remaining() != 1) {
          throw new IllegalStateException("the byte of data did not arrive");
        }
        graceful.add(p);
      } else {
        raw.add(RawPair.handshaken(certs.client(), certs.server(), protocol));
      }
    }
  }

  @Benchmark
  @OperationsPerInvocation(BATCH)
  public int closeNotifyExchange() throws SSLException {
    int complete = 0;
    for (int i = 0; i < BATCH; i++) {
      complete +=
          stack.equals("graceful") ? gracefulExchange(graceful.pop()) : raw.pop().exchange();
    }
    if (complete != BATCH) {
      throw new IllegalStateException(complete + " of " + BATCH + " exchanges completed");
    }
    return complete;
  }

  private static int gracefulExchange(BioPair p) {
    CompletableFuture<ShutdownResult> initiator =
        p.client.shutdown(ShutdownSpec.bidirectional()).toFuture();
    CompletableFuture<ShutdownResult> answer =
        p.server.shutdown(ShutdownSpec.bidirectional().waitPeer()).toFuture();
    p.pump();
    return initiator.join().outcome() == Outcome.COMPLETE
            && answer.join().outcome() == Outcome.COMPLETE
        ? 1
        : 0;
  }

  /** Two bare JDK engines; the exchange is closeOutbound, wrap, unwrap on each side. */
  static final class RawPair {
    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);
    private final SSLEngine client;
    private final SSLEngine server;
    private final ByteBuffer wire;
    private final ByteBuffer app;

    private RawPair(SSLEngine client, SSLEngine server) {
      this.client = client;
      this.server = server;
      this.wire = ByteBuffer.allocate(client.getSession().getPacketBufferSize());
      this.app = ByteBuffer.allocate(client.getSession().getApplicationBufferSize());
    }

    static RawPair handshaken(SSLContext clientContext, SSLContext serverContext, String protocol)
        throws SSLException {
      SSLEngine c = clientContext.createSSLEngine("localhost", 4433);
      c.setUseClientMode(true);
      c.setEnabledProtocols(new String[] {protocol});
      SSLEngine s = serverContext.createSSLEngine();
      s.setUseClientMode(false);
      RawPair p = new RawPair(c, s);
      int size = c.getSession().getPacketBufferSize();
      ByteBuffer toServer = ByteBuffer.allocate(size);
      ByteBuffer toClient = ByteBuffer.allocate(size);
      c.beginHandshake();
      s.beginHandshake();
      for (int rounds = 0; ; rounds++) {
        boolean moved = p.step(c, toServer, toClient) | p.step(s, toClient, toServer);
        if (!moved && done(c) && done(s) && toServer.position() == 0 && toClient.position() == 0) {
          p.wire.clear();
          s.wrap(ByteBuffer.wrap(new byte[] {1}), p.wire); // one byte of data read, as above
          p.wire.flip();
          p.app.clear();
          if (c.unwrap(p.wire, p.app).bytesProduced() != 1) {
            throw new SSLException("the byte of data did not arrive");
          }
          return p;
        }
        if (rounds > 1000) {
          throw new SSLException("the in-memory handshake does not finish");
        }
      }
    }

    private static boolean done(SSLEngine e) {
      return e.getHandshakeStatus() == SSLEngineResult.HandshakeStatus.NOT_HANDSHAKING;
    }

    /**
     * One turn of one side: run its tasks, wrap if it wants to, unwrap what has arrived.
     *
     * @param out bytes it sends, write mode
     * @param in bytes it receives, write mode
     * @return whether any bytes moved
     */
    private boolean step(SSLEngine e, ByteBuffer out, ByteBuffer in) throws SSLException {
      runTasks(e);
      boolean moved = false;
      if (e.getHandshakeStatus() == SSLEngineResult.HandshakeStatus.NEED_WRAP) {
        moved = e.wrap(EMPTY, out).bytesProduced() > 0;
        runTasks(e);
      }
      in.flip();
      app.clear();
      moved |= e.unwrap(in, app).bytesConsumed() > 0;
      in.compact();
      return moved;
    }

    private static void runTasks(SSLEngine e) {
      Runnable task;
      while ((task = e.getDelegatedTask()) != null) {
        task.run();
      }
    }

    /**
     * @return 1 when both sides saw the other's close_notify
     */
    int exchange() throws SSLException {
      client.closeOutbound();
      send(client, server);
      server.closeOutbound(); // TLS 1.3 half-closes; TLS 1.2 already wants to wrap its reply
      send(server, client);
      return client.isInboundDone()
              && server.isInboundDone()
              && client.isOutboundDone()
              && server.isOutboundDone()
          ? 1
          : 0;
    }

    private void send(SSLEngine from, SSLEngine to) throws SSLException {
      wire.clear();
      from.wrap(EMPTY, wire);
      wire.flip();
      app.clear();
      to.unwrap(wire, app);
    }
  }
}
