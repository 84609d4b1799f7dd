package dev.graceful.benchmarks.faults;

import dev.graceful.benchmarks.faults.QuicFaults.Kind;
import dev.graceful.core.Outcome;
import dev.graceful.core.ServerShutdown;
import dev.graceful.core.ShutdownReport;
import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.quic.QuicConnection;
import dev.graceful.quic.QuicServer;
import dev.graceful.quic.QuicStreamHandle;
import dev.graceful.testkit.DatagramFaultRelay;
import dev.graceful.testkit.DatagramFaultRelay.Faults;
import java.io.DataInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import tech.kwik.core.QuicClientConnection;
import tech.kwik.core.QuicStream;

/**
 * QUIC server rows: graceful's {@link QuicServer} over a Kwik server, with a plain Kwik client as
 * the peer (no graceful on that side), through a {@link DatagramFaultRelay} armed once the request
 * has arrived. The client asks for a response of 0–65 KiB; the server's {@link QuicConnection}
 * writes it and drains and closes under the faults of the client rows, or the whole server is shut
 * down by a {@link ServerShutdown} with the request still in flight.
 */
final class QuicServerFaults implements AutoCloseable {
  /** The relay's loss while a server shutdown waits for the request and drains the response. */
  private static final Faults SHUTDOWN_LOSS = new Faults(0.10, 0, 0);

  private static final Duration GRACE = Duration.ofSeconds(2);
  private static final Duration SHUTDOWN_DEADLINE = Duration.ofSeconds(4);

  private final Campaign.Env env;
  private final QuicFaults quic;

  /** The server of the drain rows, shared by their trials. */
  private QuicServer server;

  private int port;

  /** The trials waiting for their request to reach the server, by the trial's id. */
  private final Map<Long, CompletableFuture<Request>> waiting = new ConcurrentHashMap<>();

  /**
   * @param quic the client rows, for what both roles share
   */
  QuicServerFaults(Campaign.Env env, QuicFaults quic) {
    this.env = env;
    this.quic = quic;
  }

  List<Scenario> scenarios() {
    List<Scenario> rows = new ArrayList<>();
    for (Kind k : QuicFaults.KINDS) {
      rows.add(
          new Scenario(
              "QUIC",
              "server",
              k.name(),
              "Kwik client",
              k.accepts(),
              3,
              1.2,
              seed -> trial(k, seed)));
    }
    rows.add(
        new Scenario(
            "QUIC",
            "server",
            "shutdown, request, loss 10%",
            "Kwik client",
            "the request answered within the grace period, then as the drain rows; forced (SENT)"
                + " at the deadline; TIMEOUT; the report names the connection",
            2,
            1.2,
            this::serverShutdown));
    return rows;
  }

  /** A request as the server's application got it. */
  private record Request(QuicConnection connection, QuicStreamHandle stream, long size) {}

  /** The client's end of a trial: its connection, the request, and what its application read. */
  private record Peer(
      QuicClientConnection kwik, Request request, AtomicLong read, CompletableFuture<Long> done) {
    /** What the client's application read, waiting a moment for its reader to finish. */
    long awaitRead() throws InterruptedException {
      try {
        return done.get(2, TimeUnit.SECONDS);
      } catch (TimeoutException | java.util.concurrent.ExecutionException e) {
        return read.get();
      }
    }
  }

  private synchronized int port() throws Exception {
    if (server == null) {
      DatagramSocket socket = QuicFaults.loopbackSocket();
      port = socket.getLocalPort();
      server = start(socket);
    }
    return port;
  }

  /** graceful's server on {@code socket}: every request stream is handed to its trial. */
  private QuicServer start(DatagramSocket socket) throws Exception {
    QuicServer s = QuicServer.start(quic.connector(socket), QuicFaults.ALPN, env.loops);
    s.connections()
        .subscribe(
            a -> a.peerStreams().subscribe(h -> env.peers.execute(() -> route(a.connection(), h))));
    return s;
  }

  /** Reads a request (an 8-byte id, the response's 8-byte length) and hands it to its trial. */
  private void route(QuicConnection c, QuicStreamHandle h) {
    try {
      DataInputStream head = new DataInputStream(h.kwik().getInputStream());
      long id = head.readLong();
      long size = head.readLong();
      CompletableFuture<Request> f = waiting.remove(id);
      if (f != null) {
        f.complete(new Request(c, h, size));
      }
    } catch (java.io.IOException ended) {
      // the connection closed first: its trial fails to set up
    }
  }

  /**
   * Connects a Kwik client through {@code relay}, sends the request and starts its reader, which
   * reads the response's {@code size} bytes and then, with {@code ackHook}, answers one byte.
   */
  private Peer connect(DatagramFaultRelay relay, long id, int size, boolean ackHook)
      throws Exception {
    CompletableFuture<Request> arrived = new CompletableFuture<>();
    waiting.put(id, arrived);
    QuicClientConnection kwik = null;
    try {
      kwik = quic.client(relay.address().getPort());
      QuicStream s = kwik.createStream(true);
      OutputStream out = s.getOutputStream();
      out.write(ByteBuffer.allocate(16).putLong(id).putLong(size).array());
      out.flush();
      AtomicLong read = new AtomicLong();
      CompletableFuture<Long> done = new CompletableFuture<>();
      env.peers.execute(() -> done.complete(read(s, size, ackHook, read)));
      Request r = arrived.get(TlsPair.SETUP.toMillis(), TimeUnit.MILLISECONDS);
      return new Peer(kwik, r, read, done);
    } catch (Exception e) {
      if (kwik != null) {
        kwik.close();
      }
      throw e;
    } finally {
      waiting.remove(id);
    }
  }

  /** The client's application: reads the response, then answers one byte with {@code ackHook}. */
  private static long read(QuicStream s, int size, boolean ackHook, AtomicLong read) {
    byte[] buf = new byte[32 * 1024];
    try {
      InputStream in = s.getInputStream();
      int n;
      while (read.get() < size
          && (n = in.read(buf, 0, (int) Math.min(buf.length, size - read.get()))) >= 0) {
        read.addAndGet(n);
      }
      if (read.get() == size && ackHook) {
        OutputStream out = s.getOutputStream();
        out.write(1);
        out.flush();
      }
    } catch (Exception ended) {
      // the connection closed first
    }
    return read.get();
  }

  /** Writes the response: {@code size} zero bytes, concluded or not; not waited for. */
  private static void respond(QuicStreamHandle h, long size, boolean conclude) {
    var write = h.write(ByteBuffer.allocate((int) size));
    (conclude ? write.then(h.conclude()) : write).subscribe(null, err -> {});
  }

  Verdict trial(Kind k, long seed) throws Exception {
    Random rnd = new Random(seed);
    int size = QuicFaults.size(rnd);
    boolean ackHook = rnd.nextBoolean();
    boolean conclude = rnd.nextBoolean();
    try (DatagramFaultRelay relay =
        new DatagramFaultRelay(new InetSocketAddress("127.0.0.1", port()), seed)) {
      Peer p = connect(relay, seed, size, ackHook);
      QuicConnection c = p.request().connection();
      try {
        QuicStreamHandle stream = p.request().stream();
        if (ackHook) {
          QuicFaults.acknowledgedByOneByte(stream);
        }
        QuicFaults.arm(relay, k);
        // not waited for: under loss or silence Kwik's send buffer fills and the write waits for
        // acknowledgements; the drain is what waits for it
        respond(stream, size, conclude);
        return QuicFaults.judge(QuicFaults.close(c, k, rnd), k, ackHook, size, p::awaitRead);
      } finally {
        try {
          QuicFaults.release(c);
        } finally {
          p.kwik().close();
        }
      }
    }
  }

  /**
   * A server of its own shut down by a {@link ServerShutdown} (RFC policy, a grace period) while
   * its one request is in flight under loss; the application answers 0–49 ms into the shutdown.
   */
  Verdict serverShutdown(long seed) throws Exception {
    Random rnd = new Random(seed);
    int size = QuicFaults.size(rnd);
    boolean ackHook = rnd.nextBoolean();
    Kind k = new Kind("server shutdown", SHUTDOWN_LOSS, false, false);
    DatagramSocket socket = QuicFaults.loopbackSocket();
    QuicServer s;
    try {
      s = start(socket);
    } catch (Exception e) {
      socket.close();
      throw e;
    }
    try (DatagramFaultRelay relay =
        new DatagramFaultRelay(new InetSocketAddress("127.0.0.1", socket.getLocalPort()), seed)) {
      Peer p = connect(relay, seed, size, ackHook);
      QuicConnection c = p.request().connection();
      try {
        QuicStreamHandle stream = p.request().stream();
        if (ackHook) {
          QuicFaults.acknowledgedByOneByte(stream);
        }
        QuicFaults.arm(relay, k);
        ServerShutdown how =
            ServerShutdown.of(ShutdownSpec.bidirectional().rfc())
                .grace(GRACE)
                .deadline(SHUTDOWN_DEADLINE);
        long t0 = System.nanoTime();
        CompletableFuture<ShutdownReport> report = s.shutdown(how).toFuture();
        Thread.sleep(rnd.nextInt(50));
        respond(stream, size, true);
        ShutdownReport r;
        try {
          r = report.get(SHUTDOWN_DEADLINE.plus(Ending.MARGIN).toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
          return Verdict.hung(
              "no report " + (System.nanoTime() - t0) / 1_000_000 + " ms after the start");
        }
        if (r.connections() != 1) {
          return Verdict.unexpected(
              "report of " + r.connections(),
              "the report names " + r.connections() + " of 1 connection");
        }
        ShutdownReport.Entry e = r.entries().get(0);
        Ending ending =
            new Ending(
                e.result().orElse(null),
                e.error().orElse(null),
                null,
                false,
                e.latency().toMillis());
        if (!e.forced()) {
          return QuicFaults.judge(ending, k, ackHook, size, p::awaitRead);
        }
        Verdict v = Verdict.ok(ending.label() + "+forced");
        ShutdownResult res = e.result().orElse(null);
        if (res == null || res.outcome() != Outcome.SENT) {
          return ending.isError(dev.graceful.core.ShutdownException.Reason.TIMEOUT)
              ? v
              : v.and("forced: unexpected ending " + ending.describe());
        }
        return QuicFaults.drained(v, res, k, ackHook, size, p::awaitRead, "forced");
      } finally {
        try {
          QuicFaults.release(c);
        } finally {
          p.kwik().close();
        }
      }
    } finally {
      // Kwik's close waits for its connections to finish closing: on this trial's thread
      s.close();
    }
  }

  @Override
  public void close() {
    if (server != null) {
      server.close();
    }
  }
}
