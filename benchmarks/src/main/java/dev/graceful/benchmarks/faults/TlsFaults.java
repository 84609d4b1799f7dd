package dev.graceful.benchmarks.faults;

import static dev.graceful.core.ShutdownException.Reason.PROTOCOL;
import static dev.graceful.core.ShutdownException.Reason.TIMEOUT;
import static dev.graceful.core.ShutdownException.Reason.TRANSPORT;
import static dev.graceful.core.ShutdownException.Reason.TRUNCATED;

import dev.graceful.core.Outcome;
import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownSpec;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import reactor.core.Disposable;

/**
 * TLS 1.2 and 1.3 rows: graceful's {@code TlsConnection} against the JDK's {@code SSLSocket}
 * through a {@link dev.graceful.testkit.FaultRelay}, graceful as client and as server.
 */
final class TlsFaults {
  /**
   * At most one record-sized buffer each way, pooled 17 KiB slabs: what a waiting shutdown holds.
   */
  static final int MAX_BUFFERS = 3 * 17 * 1024;

  private final Campaign.Env env;

  TlsFaults(Campaign.Env env) {
    this.env = env;
  }

  List<Scenario> scenarios() {
    List<Scenario> rows = new ArrayList<>();
    for (String protocol : List.of("TLSv1.2", "TLSv1.3")) {
      for (boolean client : List.of(true, false)) {
        String role = client ? "client" : "server";
        String peer = client ? "JDK SSLSocket server" : "JDK SSLSocket client";
        rows.add(
            new Scenario(
                protocol,
                role,
                "no close_notify (FIN)",
                peer,
                "TRUNCATED; COMPLETE+unauthenticatedEof under ignoreUnexpectedEof; TRANSPORT after"
                    + " an RST",
                4,
                1,
                seed -> noCloseNotify(protocol, client, seed)));
        rows.add(
            new Scenario(
                protocol,
                role,
                "RST during shutdown",
                peer,
                "COMPLETE (everything delivered) if the answer beat the RST; TRANSPORT; TRUNCATED",
                4,
                1,
                seed -> resetDuringShutdown(protocol, client, seed)));
        rows.add(
            new Scenario(
                protocol,
                role,
                "silent peer",
                peer,
                "TIMEOUT at the deadline; SENT+deadlineReached under settleAtDeadline",
                6,
                1,
                seed -> silentPeer(protocol, client, seed)));
        rows.add(
            new Scenario(
                protocol,
                role,
                "flood, readInto",
                peer,
                "COMPLETE with every byte delivered; TIMEOUT; TRANSPORT (RST); buffers never above 51 KiB",
                4,
                1,
                seed -> flood(protocol, client, true, seed)));
        rows.add(
            new Scenario(
                protocol,
                role,
                "flood, discardUnread",
                peer,
                "COMPLETE with every byte counted; TIMEOUT; TRANSPORT (RST); buffers never above 51 KiB",
                4,
                1,
                seed -> flood(protocol, client, false, seed)));
        rows.add(
            new Scenario(
                protocol,
                role,
                "fatal alert",
                peer,
                "PROTOCOL",
                4,
                1,
                seed -> fatalAlert(protocol, client, seed)));
        rows.add(
            new Scenario(
                protocol,
                role,
                "mutated records",
                peer,
                "PROTOCOL, TRUNCATED, TRANSPORT or TIMEOUT, data delivered a true prefix; COMPLETE"
                    + " only with every byte intact",
                4,
                2,
                seed -> mutated(protocol, client, seed)));
        rows.add(
            new Scenario(
                protocol,
                role,
                "cancel at random steps",
                peer,
                "the next shutdown COMPLETE with every byte delivered",
                4,
                1,
                seed -> cancel(protocol, client, seed)));
      }
    }
    return rows;
  }

  private static ByteBuffer wrap(byte[] b) {
    return ByteBuffer.wrap(b);
  }

  private void send(TlsPair p, byte[] request) {
    if (request.length > 0) {
      p.graceful.send(wrap(request)).block(TlsPair.SETUP);
    }
  }

  private static <T> T get(Future<T> f) throws Exception {
    return f.get(TlsPair.SETUP.toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * What a COMPLETE ending promises about data: the peer application read every byte graceful sent
   * and saw graceful's close_notify, and graceful's application got every byte the peer sent.
   */
  private static Verdict completeness(
      Verdict v, Sink sink, byte[] response, TlsPair.PeerLog peer, byte[] request) {
    v =
        v.lost(
            response.length - sink.count(),
            "COMPLETE but "
                + sink.count()
                + " of "
                + response.length
                + " bytes reached the application");
    if (peer != null) {
      v =
          v.lost(
              request.length - peer.read,
              "COMPLETE but the peer application read " + peer.summary() + " of " + request.length);
    }
    return v;
  }

  Verdict noCloseNotify(String protocol, boolean client, long seed) throws Exception {
    Random rnd = new Random(seed);
    byte[] request = Sink.payload(rnd, 0, 16 * 1024);
    byte[] response = Sink.payload(rnd, 0, 64 * 1024);
    int pieces = 1 + rnd.nextInt(4);
    boolean ignoreEof = rnd.nextBoolean();
    boolean abrupt = rnd.nextInt(10) < 2; // close the socket at once: an RST if bytes are unread
    Duration deadline = Duration.ofSeconds(3);
    try (TlsPair p = TlsPair.open(env, protocol, client)) {
      Future<TlsPair.PeerLog> peer =
          env.peers.submit(
              () -> {
                TlsPair.PeerLog got = p.readExactly(request.length);
                p.write(response, pieces);
                if (abrupt) {
                  p.raw.close();
                } else {
                  p.finWithoutCloseNotify();
                }
                return got;
              });
      send(p, request);
      Sink sink = new Sink();
      ShutdownSpec spec = ShutdownSpec.bidirectional().timeout(deadline).readInto(sink);
      if (ignoreEof) {
        spec = spec.ignoreUnexpectedEof();
      }
      Ending e = Ending.await(p.graceful.shutdown(spec), deadline);
      if (e.hung()) {
        return Verdict.hung("no signal " + e.millis() + " ms after subscribing");
      }
      get(peer);
      Verdict v = Verdict.ok(e.label()).and(sink.prefixOf(response));
      ShutdownResult r = e.result();
      if (r != null) {
        if (!ignoreEof) {
          return v.and("a result without the peer's close_notify: " + r);
        }
        if (!r.unauthenticatedEof() || r.outcome() != Outcome.COMPLETE) {
          return v.and("an unexpected end of stream not flagged unauthenticatedEof: " + r);
        }
        // The bytes before the FIN all arrived over TCP: an application that gets fewer lost them.
        return v.lost(
            response.length - sink.count(),
            "only "
                + sink.count()
                + " of "
                + response.length
                + " bytes before the FIN reached the application");
      }
      if (e.isError(TRUNCATED) || (e.isError(TRANSPORT) && abrupt)) {
        return v;
      }
      if (e.isError(TRANSPORT)) {
        return v; // our close_notify written after the peer's socket closed: reset by its kernel
      }
      return v.and("unexpected ending " + e.describe());
    }
  }

  Verdict resetDuringShutdown(String protocol, boolean client, long seed) throws Exception {
    Random rnd = new Random(seed);
    byte[] request = Sink.payload(rnd, 0, 16 * 1024);
    byte[] response = Sink.payload(rnd, 0, 32 * 1024);
    int resetAfter = rnd.nextInt(10);
    int answerAfter = rnd.nextInt(10);
    Duration deadline = Duration.ofSeconds(3);
    try (TlsPair p = TlsPair.open(env, protocol, client)) {
      Future<TlsPair.PeerLog> peer =
          env.peers.submit(
              () -> {
                try {
                  p.write(response, 2);
                } catch (java.io.IOException reset) {
                  return new TlsPair.PeerLog(); // the RST came first
                }
                TlsPair.PeerLog got = p.readToEnd();
                Thread.sleep(answerAfter);
                p.closePeer();
                return got;
              });
      send(p, request);
      Sink sink = new Sink();
      ShutdownSpec spec = ShutdownSpec.bidirectional().timeout(deadline).readInto(sink);
      env.timer.schedule(p.relay::reset, resetAfter, TimeUnit.MILLISECONDS);
      Ending e = Ending.await(p.graceful.shutdown(spec), deadline);
      if (e.hung()) {
        return Verdict.hung("no signal " + e.millis() + " ms after subscribing");
      }
      TlsPair.PeerLog got = get(peer);
      Verdict v = Verdict.ok(e.label()).and(sink.prefixOf(response));
      ShutdownResult r = e.result();
      if (r != null) {
        if (r.outcome() != Outcome.COMPLETE || r.unauthenticatedEof()) {
          return v.and("unexpected result " + r);
        }
        return completeness(v, sink, response, got.endOfStream ? got : null, request)
            .and(got.endOfStream ? null : "COMPLETE but the peer never saw our close_notify");
      }
      if (e.isError(TRANSPORT, TRUNCATED)) {
        return v;
      }
      return v.and("unexpected ending " + e.describe());
    }
  }

  Verdict silentPeer(String protocol, boolean client, long seed) throws Exception {
    Random rnd = new Random(seed);
    byte[] request = Sink.payload(rnd, 0, 4 * 1024);
    boolean settle = rnd.nextBoolean();
    Duration deadline = Duration.ofMillis(150 + rnd.nextInt(250));
    try (TlsPair p = TlsPair.open(env, protocol, client)) {
      Future<TlsPair.PeerLog> peer = env.peers.submit(() -> p.readExactly(request.length));
      send(p, request);
      get(peer);
      p.relay.silence();
      Sink sink = new Sink();
      ShutdownSpec spec = ShutdownSpec.bidirectional().timeout(deadline).readInto(sink);
      if (settle) {
        spec = spec.settleAtDeadline();
      }
      Ending e = Ending.await(p.graceful.shutdown(spec), deadline);
      if (e.hung()) {
        return Verdict.hung("no signal " + e.millis() + " ms after subscribing");
      }
      Verdict v = Verdict.ok(e.label());
      if (e.millis() + 5 < deadline.toMillis()) {
        v =
            v.and(
                "ended after "
                    + e.millis()
                    + " ms, before its "
                    + deadline.toMillis()
                    + " ms deadline");
      }
      ShutdownResult r = e.result();
      if (settle) {
        if (r == null || r.outcome() != Outcome.SENT || !r.deadlineReached()) {
          return v.and("expected SENT+deadlineReached, got " + e.describe());
        }
        return v;
      }
      return e.isError(TIMEOUT) ? v : v.and("expected TIMEOUT, got " + e.describe());
    }
  }

  Verdict flood(String protocol, boolean client, boolean readInto, long seed) throws Exception {
    Random rnd = new Random(seed);
    byte[] request = Sink.payload(rnd, 0, 4 * 1024);
    boolean endless = rnd.nextBoolean();
    int chunks = 16 + rnd.nextInt(240); // 256 KiB to 4 MiB when it ends
    byte[] chunk = Sink.payload(rnd, 16 * 1024, 16 * 1024);
    Duration deadline = Duration.ofMillis(1_000);
    try (TlsPair p = TlsPair.open(env, protocol, client)) {
      Future<TlsPair.PeerLog> peer =
          env.peers.submit(
              () -> {
                TlsPair.PeerLog got = p.readExactly(request.length);
                try {
                  for (int i = 0; endless || i < chunks; i++) {
                    p.peer.getOutputStream().write(chunk);
                  }
                  p.peer.getOutputStream().flush();
                  p.closePeer();
                } catch (java.io.IOException ended) {
                  // graceful released the connection while the flood went on
                }
                return got;
              });
      send(p, request);
      RepeatingSink sink = new RepeatingSink(chunk);
      ShutdownSpec spec = ShutdownSpec.bidirectional().timeout(deadline);
      spec = readInto ? spec.readInto(sink) : spec.discardUnread();
      Ending e = Ending.await(p.graceful.shutdown(spec), deadline);
      if (e.hung()) {
        return Verdict.hung("no signal " + e.millis() + " ms after subscribing");
      }
      Verdict v = Verdict.ok(e.label()).and(sink.corruption());
      int buffers = p.graceful.bufferCapacity();
      if (buffers > MAX_BUFFERS) {
        v = v.and("the connection holds " + buffers + " bytes of buffers after the flood");
      }
      long sent = (long) chunks * chunk.length;
      ShutdownResult r = e.result();
      if (r != null) {
        if (endless || r.outcome() != Outcome.COMPLETE || r.unauthenticatedEof()) {
          return v.and("unexpected result " + r);
        }
        long got = readInto ? sink.count() : r.bytesRead();
        return v.lost(
            sent - got,
            "COMPLETE but "
                + got
                + " of "
                + sent
                + " flooded bytes were "
                + (readInto ? "delivered" : "counted"));
      }
      // TRANSPORT: the peer closed its socket with our close_notify unread in it, which its
      // kernel answers with an RST, not a FIN
      return e.isError(TIMEOUT, TRANSPORT) ? v : v.and("unexpected ending " + e.describe());
    }
  }

  Verdict fatalAlert(String protocol, boolean client, long seed) throws Exception {
    Random rnd = new Random(seed);
    byte[] request = Sink.payload(rnd, 0, 4 * 1024);
    int[] descriptions = {10, 20, 40, 47, 50, 80, 90};
    byte description = (byte) descriptions[rnd.nextInt(descriptions.length)];
    int injectAfter = rnd.nextInt(12) - 4; // negative: before the shutdown starts
    Duration deadline = Duration.ofSeconds(3);
    try (TlsPair p = TlsPair.open(env, protocol, client)) {
      Future<TlsPair.PeerLog> peer = env.peers.submit(() -> p.readExactly(request.length));
      send(p, request);
      get(peer);
      byte[] alert = {21, 3, 3, 0, 2, 2, description};
      if (injectAfter < 0) {
        p.relay.inject(p.towardGraceful(), alert);
      } else {
        env.timer.schedule(
            () -> p.relay.inject(p.towardGraceful(), alert), injectAfter, TimeUnit.MILLISECONDS);
      }
      Sink sink = new Sink();
      Ending e =
          Ending.await(
              p.graceful.shutdown(ShutdownSpec.bidirectional().timeout(deadline).readInto(sink)),
              deadline);
      if (e.hung()) {
        return Verdict.hung("no signal " + e.millis() + " ms after subscribing");
      }
      Verdict v = Verdict.ok(e.label());
      if (sink.count() > 0) {
        v = v.and(sink.count() + " bytes delivered from an alert");
      }
      return e.isError(PROTOCOL) ? v : v.and("expected PROTOCOL, got " + e.describe());
    }
  }

  Verdict mutated(String protocol, boolean client, long seed) throws Exception {
    Random rnd = new Random(seed);
    byte[] request = Sink.payload(rnd, 0, 4 * 1024);
    byte[] response = Sink.payload(rnd, 1, 48 * 1024);
    int pieces = 1 + rnd.nextInt(6);
    RecordMutator mutator = new RecordMutator(rnd, pieces + 2);
    Duration deadline = Duration.ofMillis(1_500);
    CountDownLatch go = new CountDownLatch(1);
    try (TlsPair p = TlsPair.open(env, protocol, client)) {
      Future<TlsPair.PeerLog> peer =
          env.peers.submit(
              () -> {
                TlsPair.PeerLog got = p.readExactly(request.length);
                go.await();
                try {
                  p.write(response, pieces);
                } finally {
                  p.closePeer();
                }
                return got;
              });
      send(p, request);
      p.relay.rewrite(p.towardGraceful(), mutator);
      go.countDown();
      Sink sink = new Sink();
      Ending e =
          Ending.await(
              p.graceful.shutdown(ShutdownSpec.bidirectional().timeout(deadline).readInto(sink)),
              deadline);
      if (e.hung()) {
        return Verdict.hung(mutator.kind + ": no signal " + e.millis() + " ms after subscribing");
      }
      Verdict v = Verdict.ok(e.label()).and(sink.prefixOf(response));
      ShutdownResult r = e.result();
      if (r != null) {
        if (r.outcome() != Outcome.COMPLETE || r.unauthenticatedEof()) {
          return v.and(mutator.kind + ": unexpected result " + r);
        }
        return v.lost(
            response.length - sink.count(),
            mutator.kind
                + ": COMPLETE but "
                + sink.count()
                + " of "
                + response.length
                + " bytes delivered");
      }
      if (e.isError(PROTOCOL, TRUNCATED, TRANSPORT, TIMEOUT)) {
        return v;
      }
      return v.and(mutator.kind + ": unexpected ending " + e.describe());
    }
  }

  Verdict cancel(String protocol, boolean client, long seed) throws Exception {
    Random rnd = new Random(seed);
    byte[] request = Sink.payload(rnd, 0, 8 * 1024);
    byte[] response = Sink.payload(rnd, 0, 48 * 1024);
    int pieces = 1 + rnd.nextInt(8);
    boolean receiveFirst = rnd.nextBoolean();
    int signals = 1 + rnd.nextInt(pieces + 1); // cancel receive() after this many
    int cancelAfter = rnd.nextInt(30);
    int answerAfter = rnd.nextInt(30);
    Duration deadline = Duration.ofSeconds(4);
    try (TlsPair p = TlsPair.open(env, protocol, client)) {
      Future<TlsPair.PeerLog> peer =
          env.peers.submit(
              () -> {
                p.write(response, pieces);
                TlsPair.PeerLog got = p.readToEnd();
                Thread.sleep(answerAfter);
                p.closePeer();
                return got;
              });
      send(p, request);
      Sink sink = new Sink();
      ShutdownSpec spec = ShutdownSpec.bidirectional().timeout(deadline).readInto(sink);
      String step;
      if (receiveFirst) {
        step = "receive() cancelled after " + signals + " signals";
        p.graceful
            .receive()
            .doOnNext(sink)
            .take(signals)
            .take(Duration.ofMillis(300))
            .blockLast(TlsPair.SETUP);
      } else {
        step = "shutdown cancelled after " + cancelAfter + " ms";
        Disposable first = p.graceful.shutdown(spec).subscribe(r -> {}, err -> {});
        Thread.sleep(cancelAfter);
        first.dispose();
      }
      Ending e = Ending.await(p.graceful.shutdown(spec), deadline);
      if (e.hung()) {
        return Verdict.hung(step + ": no signal " + e.millis() + " ms after subscribing");
      }
      TlsPair.PeerLog got = get(peer);
      Verdict v = Verdict.ok(e.label()).and(sink.prefixOf(response));
      ShutdownResult r = e.result();
      if (r == null || r.outcome() != Outcome.COMPLETE || r.unauthenticatedEof()) {
        return v.and(step + ": expected COMPLETE, got " + e.describe());
      }
      return completeness(Verdict.ok(e.label()), sink, response, got, request)
          .and(sink.prefixOf(response))
          .and(got.endOfStream ? null : "COMPLETE but the peer never saw our close_notify")
          .about(step);
    }
  }

  /** A sink for a flood of one repeated chunk: counts, and checks every byte against the chunk. */
  static final class RepeatingSink implements java.util.function.Consumer<ByteBuffer> {
    private final byte[] chunk;
    private long count;
    private String corruption;

    RepeatingSink(byte[] chunk) {
      this.chunk = chunk;
    }

    @Override
    public synchronized void accept(ByteBuffer b) {
      for (int i = b.position(); i < b.limit(); i++) {
        if (corruption == null && b.get(i) != chunk[(int) (count % chunk.length)]) {
          corruption = "byte " + count + " of the flood differs from what was sent";
        }
        count++;
      }
    }

    synchronized long count() {
      return count;
    }

    synchronized String corruption() {
      return corruption;
    }
  }
}
