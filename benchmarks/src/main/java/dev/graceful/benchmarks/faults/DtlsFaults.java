package dev.graceful.benchmarks.faults;

import dev.graceful.core.Outcome;
import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.testkit.DatagramFaultRelay;
import dev.graceful.testkit.DatagramFaultRelay.Faults;
import dev.graceful.tls.DtlsServer;
import dev.graceful.tls.TlsConnection;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import reactor.core.scheduler.Schedulers;

/**
 * DTLS 1.2 rows: graceful's DTLS client and server, each against graceful's other side (the JDK's
 * DTLS engine is the only DTLS in the JDK, so the peer is the JDK's engine driven by graceful),
 * through a {@link DatagramFaultRelay} that drops, reorders and duplicates datagrams during the
 * data and the close.
 */
final class DtlsFaults {
  static final int MESSAGE = 200;

  private final Campaign.Env env;

  DtlsFaults(Campaign.Env env) {
    this.env = env;
  }

  List<Scenario> scenarios() {
    record Kind(String name, Faults faults, boolean silent) {}
    List<Kind> kinds =
        List.of(
            new Kind("loss 10%", new Faults(0.10, 0, 0), false),
            new Kind("loss 20%", new Faults(0.20, 0, 0), false),
            new Kind("loss 30%", new Faults(0.30, 0, 0), false),
            new Kind("reordering 30%", new Faults(0, 0.30, 0), false),
            new Kind("duplication 30%", new Faults(0, 0, 0.30), false),
            new Kind("loss+reorder+dup", new Faults(0.15, 0.15, 0.15), false),
            new Kind("silent peer", Faults.NONE, true));
    List<Scenario> rows = new ArrayList<>();
    for (boolean client : List.of(true, false)) {
      for (Kind k : kinds) {
        rows.add(
            new Scenario(
                "DTLSv1.2",
                client ? "client" : "server",
                k.name(),
                client ? "graceful DtlsServer" : "graceful DTLS client",
                k.silent()
                    ? "SENT+deadlineReached"
                    : "COMPLETE or SENT+deadlineReached; no record delivered twice or altered",
                6,
                0.7,
                seed -> trial(client, k.faults(), k.silent(), seed)));
      }
    }
    return rows;
  }

  /** Message {@code i}: its index, then bytes that follow from it and the trial's seed. */
  static byte[] message(long seed, int i) {
    byte[] m = new byte[MESSAGE];
    ByteBuffer.wrap(m).putInt(i);
    for (int j = 4; j < MESSAGE; j++) {
      m[j] = (byte) (seed + i * 31L + j * 7L);
    }
    return m;
  }

  /** Checks what arrived: whole messages, each intact and at most once. */
  static final class Messages implements Consumer<ByteBuffer> {
    private final long seed;
    private final int count;
    private final BitSet seen = new BitSet();
    private String wrong;
    private int received;

    Messages(long seed, int count) {
      this.seed = seed;
      this.count = count;
    }

    @Override
    public synchronized void accept(ByteBuffer b) {
      if (wrong != null) {
        return;
      }
      if (b.remaining() % MESSAGE != 0) {
        wrong = "a record of " + b.remaining() + " bytes, not whole messages";
        return;
      }
      while (b.hasRemaining()) {
        byte[] m = new byte[MESSAGE];
        b.get(m);
        int i = ByteBuffer.wrap(m).getInt();
        if (i < 0 || i >= count || !java.util.Arrays.equals(m, message(seed, i))) {
          wrong = "a message that was never sent (index " + i + ")";
          return;
        }
        if (seen.get(i)) {
          wrong = "message " + i + " delivered twice";
          return;
        }
        seen.set(i);
        received++;
      }
    }

    synchronized String wrong() {
      return wrong;
    }

    synchronized int received() {
      return received;
    }
  }

  Verdict trial(boolean gracefulIsClient, Faults faults, boolean silent, long seed)
      throws Exception {
    Random rnd = new Random(seed);
    int count = 1 + rnd.nextInt(24);
    Duration deadline = Duration.ofMillis(400 + rnd.nextInt(400));
    boolean closeAfterData = rnd.nextBoolean();
    DtlsServer server =
        DtlsServer.bind(
                new InetSocketAddress("127.0.0.1", 0),
                env.certs.dtlsServer(),
                gracefulIsClient ? env.peerLoops : env.loops,
                e -> {},
                Schedulers.parallel())
            .block(TlsPair.SETUP);
    TlsConnection client = null;
    TlsConnection accepted = null;
    try (DatagramFaultRelay relay = new DatagramFaultRelay(server.address(), seed)) {
      CompletableFuture<TlsConnection> next = server.connections().next().toFuture();
      client =
          TlsConnection.connectDatagram(
                  relay.address(),
                  env.certs.dtlsClient(),
                  gracefulIsClient ? env.loops : env.peerLoops,
                  e -> {},
                  Schedulers.parallel())
              .block(TlsPair.SETUP);
      accepted = next.get(TlsPair.SETUP.toMillis(), TimeUnit.MILLISECONDS);
      TlsConnection graceful = gracefulIsClient ? client : accepted;
      TlsConnection peer = gracefulIsClient ? accepted : client;
      if (silent) {
        relay.silence();
      } else {
        relay.faults(faults);
      }
      Messages got = new Messages(seed, count);
      CompletableFuture<ShutdownResult> ours = null;
      ShutdownSpec spec =
          ShutdownSpec.bidirectional().timeout(deadline).settleAtDeadline().readInto(got);
      if (!closeAfterData) {
        ours = graceful.shutdown(spec).toFuture(); // closing while the data is in flight
      }
      try {
        for (int i = 0; i < count; i++) {
          peer.send(ByteBuffer.wrap(message(seed, i))).block(TlsPair.SETUP);
        }
      } catch (RuntimeException closed) {
        // our close_notify reached the peer first: its engine writes no more (DTLS 1.2)
      }
      CompletableFuture<ShutdownResult> theirs =
          peer.shutdown(
                  ShutdownSpec.bidirectional()
                      .timeout(Duration.ofMillis(800))
                      .settleAtDeadline()
                      .discardUnread())
              .toFuture();
      Ending e =
          ours == null
              ? Ending.await(graceful.shutdown(spec), deadline)
              : Ending.await(reactor.core.publisher.Mono.fromFuture(ours), deadline);
      try {
        theirs.get(TlsPair.SETUP.toMillis(), TimeUnit.MILLISECONDS);
      } catch (Exception ignored) {
        // the peer's own ending is not what this row judges
      }
      if (e.hung()) {
        return Verdict.hung("no signal " + e.millis() + " ms after subscribing");
      }
      Verdict v = Verdict.ok(e.label()).and(got.wrong());
      ShutdownResult r = e.result();
      if (r == null) {
        return v.and("unexpected ending " + e.describe());
      }
      if (silent) {
        return r.outcome() == Outcome.SENT && r.deadlineReached()
            ? v
            : v.and("expected SENT+deadlineReached from a silent peer, got " + r);
      }
      boolean settled = r.outcome() == Outcome.SENT && r.deadlineReached();
      if (r.outcome() != Outcome.COMPLETE && !settled) {
        return v.and("unexpected result " + r);
      }
      if (r.unauthenticatedEof()) {
        return v.and("an unauthenticated end over datagrams: " + r);
      }
      if (e.millis() > deadline.toMillis() + Ending.MARGIN.toMillis()) {
        return v.and("ended " + e.millis() + " ms after subscribing, deadline " + deadline);
      }
      return v;
    } finally {
      for (TlsConnection c : new TlsConnection[] {client, accepted}) {
        if (c != null) {
          try {
            c.release().block(TlsPair.SETUP);
          } catch (RuntimeException ignored) {
            // released already
          }
        }
      }
      server.close().block(TlsPair.SETUP);
    }
  }
}
