package dev.graceful.tls;

import dev.graceful.testkit.TestCerts;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Queue;
import java.util.concurrent.Executor;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;

/**
 * Two real JDK TLS engines joined by memory transports (OpenSSL's BIO pair). The test thread is the
 * loop: {@link #pump()} runs queued tasks and moves bytes both ways until nothing moves, so
 * everything is deterministic and timers can run on virtual time.
 */
final class BioPair {
  /** A serial executor run by the test thread. */
  static final class ManualExecutor implements Executor {
    private final Queue<Runnable> tasks = new ArrayDeque<>();

    @Override
    public synchronized void execute(Runnable task) {
      tasks.add(task);
    }

    synchronized Runnable poll() {
      return tasks.poll();
    }

    /**
     * @return tasks run
     */
    int runAll() {
      int n = 0;
      Runnable r;
      while ((r = poll()) != null) {
        r.run();
        n++;
      }
      return n;
    }
  }

  final ManualExecutor executor = new ManualExecutor();
  final MemoryTransport clientSide;
  final MemoryTransport serverSide;
  final TlsConnection client;
  final TlsConnection server;
  boolean clientToServerOpen = true;
  boolean serverToClientOpen = true;
  long clientBytesSent;

  /**
   * Decides, per chunk moved, whether it is lost on the way (client to server, server to client).
   */
  java.util.function.BiPredicate<Boolean, ByteBuffer> lose = (toServer, bytes) -> false;

  BioPair(TestCerts certs, String tls, int capacity) {
    this(certs, tls, capacity, t -> t);
  }

  /**
   * @param clientTransport wraps the client's transport (to watch what its engine does)
   */
  BioPair(
      TestCerts certs,
      String tls,
      int capacity,
      java.util.function.UnaryOperator<TlsTransport> clientTransport) {
    clientSide = new MemoryTransport(executor, "client", capacity);
    serverSide = new MemoryTransport(executor, "server", capacity);
    boolean dtls = tls.startsWith("DTLS");
    SSLContext cctx = dtls ? certs.dtlsClient() : certs.client();
    SSLEngine c = cctx.createSSLEngine("localhost", 4433);
    c.setUseClientMode(true);
    c.setEnabledProtocols(new String[] {dtls ? tls : "TLSv" + tls});
    SSLContext sctx = dtls ? certs.dtlsServer() : certs.server();
    SSLEngine s = sctx.createSSLEngine();
    s.setUseClientMode(false);
    client = TlsConnection.over(clientTransport.apply(clientSide), c, cctx, Runnable::run);
    server = TlsConnection.over(serverSide, s, sctx, Runnable::run);
  }

  static BioPair handshaken(TestCerts certs, String tls) {
    return handshaken(new BioPair(certs, tls, MemoryTransport.DEFAULT_CAPACITY));
  }

  /** Handshakes a pair built by hand. */
  static BioPair handshaken(BioPair p) {
    var hc = p.client.handshake().toFuture();
    var hs = p.server.handshake().toFuture();
    p.pump();
    if (!hc.isDone() || !hs.isDone()) {
      throw new AssertionError("handshake did not finish after the pair went quiet");
    }
    hc.join();
    hs.join();
    return p;
  }

  /** Runs tasks and moves bytes until quiet. Returns bytes moved client to server. */
  long pump() {
    long moved = 0;
    for (; ; ) {
      int ran = executor.runAll();
      ByteBuffer c2s = clientSide.take();
      ByteBuffer s2c = serverSide.take();
      int n = c2s.remaining() + s2c.remaining();
      if (c2s.hasRemaining() && lose.test(true, c2s)) {
        c2s.position(c2s.limit());
      }
      if (s2c.hasRemaining() && lose.test(false, s2c)) {
        s2c.position(s2c.limit());
      }
      if (c2s.hasRemaining() && clientToServerOpen) {
        moved += c2s.remaining();
        clientBytesSent += c2s.remaining();
        serverSide.offer(c2s);
      }
      if (s2c.hasRemaining() && serverToClientOpen) {
        clientSide.offer(s2c);
      }
      if (ran == 0 && n == 0) {
        return moved;
      }
    }
  }
}
