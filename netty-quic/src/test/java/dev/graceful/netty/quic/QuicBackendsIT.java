package dev.graceful.netty.quic;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graceful.core.CloseInfo;
import dev.graceful.core.DrainStatus;
import dev.graceful.core.Initiator;
import dev.graceful.core.Outcome;
import dev.graceful.core.ServerShutdown;
import dev.graceful.core.ShutdownException;
import dev.graceful.core.ShutdownReport;
import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.core.ShutdownState;
import dev.graceful.quic.QuicShutdown;
import dev.graceful.testkit.Ngtcp2;
import dev.graceful.testkit.PeerProcess;
import dev.graceful.testkit.ReportShape;
import dev.graceful.testkit.TestCerts;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import reactor.core.Exceptions;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.test.StepVerifier;
import tech.kwik.core.ConnectionTerminatedEvent;

/**
 * Q13: Q1–Q12 for every QUIC stack graceful supports, one suite run once per {@link Backend} (Kwik
 * through {@code graceful-quic}, Netty's codec through this module). Each stack meets two
 * independent peers in both roles: a plain Kwik peer, and ngtcp2's HTTP/3 example programs ({@code
 * gtlsserver}, {@code gtlsclient}), whose frame logs witness what arrived.
 */
@Tag("Q13")
class QuicBackendsIT {
  static final Duration WAIT = Duration.ofSeconds(30);
  static final int SIZE = 2_000_000;
  static TestCerts certs;

  @TempDir Path dir;

  @BeforeAll
  static void setUp() {
    certs = TestCerts.create();
  }

  private static InetSocketAddress local(int port) {
    return new InetSocketAddress("127.0.0.1", port);
  }

  private static ShutdownSpec closeWith(long code, String reason) {
    return ShutdownSpec.bidirectional().with(QuicShutdown.defaults().closeWith(code, reason));
  }

  static ShutdownException error(Mono<?> m) {
    try {
      m.block(WAIT);
      throw new AssertionError("expected an error");
    } catch (RuntimeException e) {
      return (ShutdownException) Exceptions.unwrap(e);
    }
  }

  // ---- against a Kwik peer ----

  // Q1, Q6, Q12: the default RFC close carries the code and reason, ends COMPLETE after the
  // closing period, and says how the connection was closed: our application close.
  @Tag("Q1")
  @Tag("Q6")
  @Tag("Q12")
  @ParameterizedTest
  @EnumSource(Backend.class)
  void rfcCloseCarriesCodeAndReasonAndCompletes(Backend backend) throws Exception {
    try (KwikPeer peer = KwikPeer.server(certs, 30)) {
      Subject c = backend.connect(local(peer.port), KwikPeer.ALPN, certs);
      ShutdownResult r = c.shutdown(closeWith(0x100, "bye")).block(WAIT);
      assertThat(r.outcome()).isEqualTo(Outcome.COMPLETE);
      assertThat(r.state().sent()).isTrue();
      assertThat(r.initiator()).isEqualTo(Initiator.LOCAL);
      ConnectionTerminatedEvent e = peer.ended.get(10, TimeUnit.SECONDS);
      assertThat(e.closedByPeer()).isTrue();
      assertThat(e.hasApplicationError()).isTrue();
      assertThat(KwikPeer.code(e)).isEqualTo(0x100);
      assertThat(KwikPeer.reason(e)).isEqualTo("bye");
      assertThat(r.closeInfo()).hasValue(CloseInfo.application(0x100, "bye", true));
    }
  }

  // Q1: without arguments the close is code 0 and an empty reason.
  @Tag("Q1")
  @ParameterizedTest
  @EnumSource(Backend.class)
  void defaultCloseIsCodeZeroWithoutReason(Backend backend) throws Exception {
    try (KwikPeer peer = KwikPeer.server(certs, 30)) {
      Subject c = backend.connect(local(peer.port), KwikPeer.ALPN, certs);
      assertThat(c.shutdown(ShutdownSpec.bidirectional()).block(WAIT).outcome())
          .isEqualTo(Outcome.COMPLETE);
      ConnectionTerminatedEvent e = peer.ended.get(10, TimeUnit.SECONDS);
      assertThat(e.closedByPeer()).isTrue();
      assertThat(KwikPeer.code(e)).isZero();
      assertThat(KwikPeer.reason(e)).isEmpty();
    }
  }

  // Q2, Q4: codes outside [0, 2^62-1] are refused before anything is sent, and a refused
  // shutdown fixes no arguments: the first accepted shutdown's code and reason are the ones sent.
  @Tag("Q2")
  @Tag("Q4")
  @ParameterizedTest
  @EnumSource(Backend.class)
  void outOfRangeCodesSendNothingAndFirstArgumentsWin(Backend backend) throws Exception {
    try (KwikPeer peer = KwikPeer.server(certs, 30)) {
      Subject c = backend.connect(local(peer.port), KwikPeer.ALPN, certs);
      for (long code : new long[] {-1, 1L << 62, Long.MAX_VALUE}) {
        ShutdownException refused = error(c.shutdown(closeWith(code, "x").rapid()));
        assertThat(refused.reason()).isEqualTo(ShutdownException.Reason.INVALID_ARGUMENT);
        assertThat(c.state()).isEqualTo(ShutdownState.NONE);
      }
      assertThat(peer.ended).isNotDone();
      assertThat(c.shutdown(closeWith(7, "first").rapid()).block(WAIT).outcome())
          .isEqualTo(Outcome.SENT);
      assertThat(c.shutdown(closeWith(9, "second")).block(WAIT).outcome())
          .isEqualTo(Outcome.COMPLETE);
      ConnectionTerminatedEvent e = peer.ended.get(10, TimeUnit.SECONDS);
      assertThat(KwikPeer.code(e)).isEqualTo(7);
      assertThat(KwikPeer.reason(e)).isEqualTo("first");
    }
  }

  // Q2: the largest code each stack can carry is sent; Netty's close carries an int, so a code
  // above 2^31-1 is refused there, with nothing sent, and the connection stays open.
  @Tag("Q2")
  @ParameterizedTest
  @EnumSource(Backend.class)
  void theLargestCodeEachStackCarriesIsSent(Backend backend) throws Exception {
    try (KwikPeer peer = KwikPeer.server(certs, 30)) {
      Subject c = backend.connect(local(peer.port), KwikPeer.ALPN, certs);
      long largest = backend == Backend.KWIK ? (1L << 62) - 1 : Integer.MAX_VALUE;
      if (backend == Backend.NETTY) {
        ShutdownException refused = error(c.shutdown(closeWith(1L << 31, "x")));
        assertThat(refused.reason()).isEqualTo(ShutdownException.Reason.INVALID_ARGUMENT);
        assertThat(c.state()).isEqualTo(ShutdownState.NONE);
      }
      assertThat(c.shutdown(closeWith(largest, "max").rapid()).block(WAIT).outcome())
          .isEqualTo(Outcome.SENT);
      assertThat(KwikPeer.code(peer.ended.get(10, TimeUnit.SECONDS))).isEqualTo(largest);
    }
  }

  // Q3: a 10 kB reason of 2- and 4-byte characters arrives cut at a code point: 170 "é😀" pairs
  // and one "é" are 1,022 bytes, valid UTF-8.
  @Tag("Q3")
  @ParameterizedTest
  @EnumSource(Backend.class)
  void longReasonArrivesCutAtACodePoint(Backend backend) throws Exception {
    try (KwikPeer peer = KwikPeer.server(certs, 30)) {
      Subject c = backend.connect(local(peer.port), KwikPeer.ALPN, certs);
      ShutdownResult r = c.shutdown(closeWith(1, "é😀".repeat(1700))).block(WAIT);
      String expected = "é😀".repeat(170) + "é";
      String got = KwikPeer.reason(peer.ended.get(10, TimeUnit.SECONDS));
      assertThat(got).isEqualTo(expected);
      assertThat(got.getBytes(StandardCharsets.UTF_8)).hasSize(1022);
      assertThat(r.closeInfo()).hasValue(CloseInfo.application(1, expected, true));
    }
  }

  // Q5: 2 MB written and concluded just before the shutdown are sent and acknowledged before the
  // close: DRAINED, every byte counted, and the Kwik peer read them all.
  @Tag("Q5")
  @ParameterizedTest
  @EnumSource(Backend.class)
  void drainDeliversEverythingBeforeTheClose(Backend backend) throws Exception {
    try (KwikPeer peer = KwikPeer.server(certs, 30)) {
      Subject c = backend.connect(local(peer.port), KwikPeer.ALPN, certs);
      Subject.Stream s = c.open(false).block(WAIT);
      s.write(ByteBuffer.allocate(SIZE)).then(s.conclude()).subscribe();
      ShutdownResult r = c.shutdown(closeWith(0, "done").timeout(Duration.ofSeconds(20))).block();
      assertThat(r.drained()).isEqualTo(DrainStatus.DRAINED);
      // what was still unacknowledged when the drain began: all of it at most
      assertThat(r.bytesDrained()).isPositive().isLessThanOrEqualTo(SIZE);
      assertThat(r.outcome()).isEqualTo(Outcome.COMPLETE);
      peer.ended.get(10, TimeUnit.SECONDS);
    }
  }

  // Q5, Q10: a conclude asked for while the write before it is still queued waits for it: the FIN
  // follows every byte, and the peer's application read every byte and then the FIN before the
  // close. (Netty's codec fails writes still queued when a stream's output shuts down.) The drain
  // waits for that reading as an application acknowledgement: the QUIC-level drain proves the
  // peer's stack has the bytes, and Kwik, as the receiver, drops what its application has not read
  // yet when the close arrives.
  @Tag("Q5")
  @Tag("Q10")
  @ParameterizedTest
  @EnumSource(Backend.class)
  void concludeAskedDuringAWriteFollowsItsBytes(Backend backend) throws Exception {
    try (KwikPeer peer = KwikPeer.server(certs, 30)) {
      Subject c = backend.connect(local(peer.port), KwikPeer.ALPN, certs);
      Subject.Stream s = c.open(false).block(WAIT);
      s.acknowledgedBy(Mono.fromFuture(peer.firstStreamReadToItsEnd));
      java.util.concurrent.CompletableFuture<Void> written =
          s.write(ByteBuffer.allocate(SIZE)).toFuture();
      java.util.concurrent.CompletableFuture<Void> concluded = s.conclude().toFuture();
      ShutdownResult r = c.shutdown(closeWith(0, "done").timeout(Duration.ofSeconds(20))).block();
      assertThat(written).succeedsWithin(WAIT);
      assertThat(concluded).succeedsWithin(WAIT);
      assertThat(r.drained()).isEqualTo(DrainStatus.DRAINED);
      assertThat(peer.firstStreamReadToItsEnd).isCompletedWithValue((long) SIZE);
      assertThat(peer.bytesAtClose.get(10, TimeUnit.SECONDS)).isEqualTo(SIZE);
    }
  }

  // Q5: noStreamFlush closes without draining and says so; the peer never gets the whole body.
  // (Netty's codec may send no CONNECTION_CLOSE at all here: its congestion window is full of the
  // undrained data, and it frees the connection as it closes. The peer then ends by idle timeout.)
  @Tag("Q5")
  @ParameterizedTest
  @EnumSource(Backend.class)
  void noStreamFlushSaysNotDrained(Backend backend) throws Exception {
    try (KwikPeer peer = KwikPeer.server(certs, 30)) {
      Subject c = backend.connect(local(peer.port), KwikPeer.ALPN, certs);
      Subject.Stream s = c.open(false).block(WAIT);
      s.write(ByteBuffer.allocate(SIZE)).subscribe(null, e -> {});
      ShutdownResult r = c.shutdown(ShutdownSpec.bidirectional().noStreamFlush()).block(WAIT);
      assertThat(r.drained()).isEqualTo(DrainStatus.NOT_DRAINED);
      assertThat(r.bytesDrained()).isZero();
      assertThat(r.truncationRisk()).isTrue();
      c.ended().block(WAIT);
      // nothing more is sent once the connection ended: what the peer has by then is all it gets
      Mono.delay(Duration.ofMillis(500)).block();
      assertThat(peer.bytesRead.get()).isLessThan(SIZE);
    }
  }

  // Q5: a drain that cannot finish in time reports TIMEOUT at its share of the deadline (75 %),
  // and the close still goes out: an application acknowledgement that never comes holds it.
  @Tag("Q5")
  @ParameterizedTest
  @EnumSource(Backend.class)
  void drainStopsAtItsDeadlineAndTheCloseGoesOut(Backend backend) throws Exception {
    try (KwikPeer peer = KwikPeer.server(certs, 30)) {
      Subject c = backend.connect(local(peer.port), KwikPeer.ALPN, certs);
      Subject.Stream s = c.open(false).block(WAIT);
      s.acknowledgedBy(Mono.never());
      s.write(ByteBuffer.allocate(1000)).block(WAIT);
      long start = System.nanoTime();
      ShutdownResult r =
          c.shutdown(closeWith(3, "late").rapid().timeout(Duration.ofSeconds(2))).block(WAIT);
      assertThat(r.drained()).isEqualTo(DrainStatus.TIMEOUT);
      assertThat(r.outcome()).isEqualTo(Outcome.SENT);
      assertThat(Duration.ofNanos(System.nanoTime() - start))
          .isGreaterThanOrEqualTo(Duration.ofMillis(1500))
          .isLessThan(Duration.ofSeconds(2));
      assertThat(KwikPeer.code(peer.ended.get(10, TimeUnit.SECONDS))).isEqualTo(3);
    }
  }

  // Q5: an application acknowledgement ends a stream's drain when it signals.
  @Tag("Q5")
  @ParameterizedTest
  @EnumSource(Backend.class)
  void applicationAcknowledgementEndsTheDrain(Backend backend) throws Exception {
    try (KwikPeer peer = KwikPeer.server(certs, 30)) {
      Subject c = backend.connect(local(peer.port), KwikPeer.ALPN, certs);
      Subject.Stream s = c.open(false).block(WAIT);
      s.acknowledgedBy(Mono.delay(Duration.ofMillis(200)));
      s.write(ByteBuffer.allocate(1000)).block(WAIT);
      ShutdownResult r = c.shutdown(ShutdownSpec.bidirectional()).block(WAIT);
      assertThat(r.drained()).isEqualTo(DrainStatus.DRAINED);
      assertThat(r.elapsed()).isGreaterThanOrEqualTo(Duration.ofMillis(100));
    }
  }

  // Q7: rapid is SENT after its one CONNECTION_CLOSE; a later RFC shutdown continues to COMPLETE.
  @Tag("Q7")
  @Tag("Q11")
  @ParameterizedTest
  @EnumSource(Backend.class)
  void rapidIsSentThenRfcCompletes(Backend backend) throws Exception {
    try (KwikPeer peer = KwikPeer.server(certs, 30)) {
      Subject c = backend.connect(local(peer.port), KwikPeer.ALPN, certs);
      ShutdownResult rapid = c.shutdown(closeWith(5, "rapid").rapid()).block(WAIT);
      assertThat(rapid.outcome()).isEqualTo(Outcome.SENT);
      assertThat(rapid.state()).isEqualTo(ShutdownState.SENT);
      assertThat(c.state().sent()).isTrue();
      assertThat(c.shutdown(ShutdownSpec.bidirectional().rfc()).block(WAIT).outcome())
          .isEqualTo(Outcome.COMPLETE);
      assertThat(KwikPeer.code(peer.ended.get(10, TimeUnit.SECONDS))).isEqualTo(5);
    }
  }

  // Q9: a non-blocking shutdown answers at once: empty while a peer wait or a closing period is
  // in progress; subscribing a blocking one afterwards goes on to COMPLETE.
  @Tag("Q9")
  @ParameterizedTest
  @EnumSource(Backend.class)
  void noBlockReportsTheCurrentStatus(Backend backend) throws Exception {
    try (KwikPeer peer = KwikPeer.server(certs, 30)) {
      Subject c = backend.connect(local(peer.port), KwikPeer.ALPN, certs);
      // a wait-peer shutdown is a first one: its code and reason are the ones sent later (Q4)
      ShutdownSpec waiting =
          ShutdownSpec.bidirectional()
              .waitPeer()
              .with(QuicShutdown.defaults().closeWith(4, "nb").noBlock());
      assertThat(c.shutdown(waiting).blockOptional(WAIT)).isEmpty();
      assertThat(c.state()).isEqualTo(ShutdownState.NONE);
      ShutdownSpec rfc = ShutdownSpec.bidirectional().with(QuicShutdown.defaults().noBlock());
      assertThat(c.shutdown(rfc).blockOptional(WAIT)).isEmpty();
      assertThat(c.shutdown(ShutdownSpec.bidirectional()).block(WAIT).outcome())
          .isEqualTo(Outcome.COMPLETE);
      assertThat(KwikPeer.code(peer.ended.get(10, TimeUnit.SECONDS))).isEqualTo(4);
    }
  }

  // Q10, Q11: a stream is not shut down and has no state; a connection's state is not settable
  // and reads SENT once its close went out.
  @Tag("Q10")
  @Tag("Q11")
  @ParameterizedTest
  @EnumSource(Backend.class)
  void streamsAreNotShutDownAndStateIsNotSettable(Backend backend) throws Exception {
    try (KwikPeer peer = KwikPeer.server(certs, 30)) {
      Subject c = backend.connect(local(peer.port), KwikPeer.ALPN, certs);
      Subject.Stream s = c.open(true).block(WAIT);
      assertThat(error(s.shutdown(ShutdownSpec.bidirectional())).reason())
          .isEqualTo(ShutdownException.Reason.ILLEGAL_STATE);
      assertThat(s.state()).isEmpty();
      assertThat(error(c.setState(ShutdownState.SENT)).reason())
          .isEqualTo(ShutdownException.Reason.ILLEGAL_STATE);
      assertThat(c.state()).isEqualTo(ShutdownState.NONE);
      s.write(ByteBuffer.wrap(new byte[] {1, 2, 3})).then(s.reset(9)).block(WAIT);
      c.shutdown(ShutdownSpec.bidirectional().rapid()).block(WAIT);
      assertThat(c.state().sent()).isTrue();
    }
  }

  // Q8, Q11, Q12: wait-peer on the server side ends when the Kwik client closes, with its code and
  // reason, initiator PEER, RECEIVED, and the peer's application close as close information.
  @Tag("Q8")
  @Tag("Q11")
  @Tag("Q12")
  @ParameterizedTest
  @EnumSource(Backend.class)
  void serverWaitPeerSeesTheClientsCodeAndReason(Backend backend) throws Exception {
    try (Subject.Server server = backend.serve(KwikPeer.ALPN, certs);
        KwikPeer client = KwikPeer.client(server.port(), certs)) {
      Subject c = server.connections().blockFirst(WAIT).connection();
      CompletableFuture<ShutdownResult> waiting =
          c.shutdown(ShutdownSpec.bidirectional().waitPeer()).toFuture();
      client.kwikClient().close(42, "later");
      ShutdownResult r = waiting.get(10, TimeUnit.SECONDS);
      assertThat(r.outcome()).isEqualTo(Outcome.COMPLETE);
      assertThat(r.initiator()).isEqualTo(Initiator.PEER);
      assertThat(r.state().received()).isTrue();
      assertThat(r.peerErrorCode()).hasValue(42);
      assertThat(r.peerReason()).hasValue("later");
      assertThat(r.closeInfo()).hasValue(CloseInfo.application(42, "later", false));
    }
  }

  // Q8, Q11, Q12: an idle timeout ends a wait-peer: RECEIVED without any CONNECTION_CLOSE, and
  // the close information says our side's timer ended it (a transport ending, local).
  @Tag("Q8")
  @Tag("Q11")
  @Tag("Q12")
  @ParameterizedTest
  @EnumSource(Backend.class)
  void waitPeerEndsOnIdleTimeout(Backend backend) throws Exception {
    try (KwikPeer peer = KwikPeer.server(certs, 30)) {
      Subject c = backend.connect(local(peer.port), KwikPeer.ALPN, certs, Duration.ofSeconds(1));
      ShutdownResult r = c.shutdown(ShutdownSpec.bidirectional().waitPeer()).block(WAIT);
      assertThat(r.outcome()).isEqualTo(Outcome.COMPLETE);
      assertThat(r.state()).isEqualTo(ShutdownState.RECEIVED);
      assertThat(r.peerErrorCode()).isEmpty();
      assertThat(r.closeInfo()).get().extracting(CloseInfo::transport).isEqualTo(true);
      assertThat(r.closeInfo()).get().extracting(CloseInfo::local).isEqualTo(true);
    }
  }

  // Q1, Q5, G3, G5: the server's shutdown drains what it wrote to the client, closes the
  // connection and reports it; the Kwik client got every byte before the close.
  @Tag("Q1")
  @Tag("Q5")
  @Tag("G3")
  @Tag("G5")
  @ParameterizedTest
  @EnumSource(Backend.class)
  void serverShutdownDrainsAndReports(Backend backend) throws Exception {
    try (Subject.Server server = backend.serve(KwikPeer.ALPN, certs);
        KwikPeer client = KwikPeer.client(server.port(), certs)) {
      Subject c = server.connections().blockFirst(WAIT).connection();
      Subject.Stream s = c.open(false).block(WAIT);
      s.write(ByteBuffer.allocate(SIZE / 2)).then(s.conclude()).subscribe();
      ShutdownReport report =
          server
              .shutdown(
                  ServerShutdown.of(ShutdownSpec.bidirectional()).deadline(Duration.ofSeconds(20)))
              .block(WAIT);
      assertThat(report.connections()).isEqualTo(1);
      assertThat(report.outcomes()).containsEntry(Outcome.COMPLETE, 1);
      assertThat(report.entries().get(0).result())
          .get()
          .extracting(ShutdownResult::drained)
          .isEqualTo(DrainStatus.DRAINED);
      ConnectionTerminatedEvent e = client.ended.get(10, TimeUnit.SECONDS);
      assertThat(e.closedByPeer()).isTrue();
      assertThat(KwikPeer.code(e)).isZero();
      assertThat(client.bytesAtClose.get(10, TimeUnit.SECONDS)).isEqualTo(SIZE / 2);
    }
  }

  /** A grace period long enough that a test ending well before it proves nobody waited. */
  static final ServerShutdown GRACEFUL =
      ServerShutdown.of(ShutdownSpec.bidirectional())
          .grace(Duration.ofSeconds(20))
          .deadline(Duration.ofSeconds(25));

  /** The Kwik client sends {@code body} on a new bidirectional stream and reads the response. */
  private static CompletableFuture<Long> request(KwikPeer client, String body) throws Exception {
    tech.kwik.core.QuicStream s = client.kwikClient().createStream(true);
    s.getOutputStream().write(body.getBytes(StandardCharsets.US_ASCII));
    s.getOutputStream().close();
    return CompletableFuture.supplyAsync(() -> readAll(s.getInputStream()));
  }

  private static long readAll(java.io.InputStream in) {
    byte[] buf = new byte[16384];
    long total = 0;
    try {
      for (int n; (n = in.read(buf)) >= 0; ) {
        total += n;
      }
    } catch (java.io.IOException e) {
      return -total - 1; // cut short
    }
    return total;
  }

  /** The connection is still open half a second after the server's shutdown started. */
  private static void assertHeldOpen(Subject c) {
    StepVerifier.create(c.ended())
        .expectSubscription()
        .expectNoEvent(Duration.ofMillis(500))
        .thenCancel()
        .verify(WAIT);
    assertThat(c.state()).as("not shut down while in flight").isEqualTo(ShutdownState.NONE);
  }

  // G2, G6, G10: a request stream the Kwik client opened is in flight until the server's side of
  // it is over: the shutdown, already under way, leaves the connection open until the response is
  // written and concluded, then closes it; the client read all of the response.
  @Tag("G2")
  @Tag("G6")
  @Tag("G10")
  @ParameterizedTest
  @EnumSource(Backend.class)
  void requestStreamInFlightIsAnsweredBeforeTheClose(Backend backend) throws Exception {
    int size = 100_000;
    try (Subject.Server server = backend.serve(KwikPeer.ALPN, certs);
        KwikPeer client = KwikPeer.client(server.port(), certs)) {
      Subject.Accepted a = server.connections().blockFirst(WAIT);
      CompletableFuture<Long> response = request(client, "request");
      Subject.Stream s = a.peerStreams().filter(Subject.Stream::bidirectional).blockFirst(WAIT);
      assertThat(s.readAll().block(WAIT)).isEqualTo(7);

      Mono<ShutdownReport> shutdown = server.shutdown(GRACEFUL).cache();
      shutdown.subscribe();
      assertHeldOpen(a.connection());
      s.write(ByteBuffer.allocate(size)).then(s.conclude()).block(WAIT);
      ShutdownReport report = shutdown.block(WAIT);

      assertThat(response.get(30, TimeUnit.SECONDS)).isEqualTo(size);
      ReportShape.assertClean(report, 1, Outcome.COMPLETE);
      assertThat(report.elapsed()).isLessThan(Duration.ofSeconds(10));
      assertThat(client.ended.get(10, TimeUnit.SECONDS).closedByPeer()).isTrue();
    }
  }

  // G2, G10: work the application tracks on a connection holds it open within the grace period
  // until the work ends; then the connection is closed by the policy.
  @Tag("G2")
  @Tag("G10")
  @ParameterizedTest
  @EnumSource(Backend.class)
  void trackedWorkHoldsItsConnectionUntilItEnds(Backend backend) throws Exception {
    try (Subject.Server server = backend.serve(KwikPeer.ALPN, certs);
        KwikPeer client = KwikPeer.client(server.port(), certs)) {
      Subject.Accepted a = server.connections().blockFirst(WAIT);
      Sinks.Empty<Void> work = Sinks.empty();
      a.track().apply(work.asMono()).subscribe();

      Mono<ShutdownReport> shutdown = server.shutdown(GRACEFUL).cache();
      shutdown.subscribe();
      assertHeldOpen(a.connection());
      work.tryEmitEmpty();

      ReportShape.assertClean(shutdown.block(WAIT), 1, Outcome.COMPLETE);
      assertThat(client.ended.get(10, TimeUnit.SECONDS).closedByPeer()).isTrue();
    }
  }

  // G2: what is not in flight does not hold the grace period: a unidirectional stream the client
  // keeps open (as HTTP/3 keeps its control stream) and a request already answered. The report
  // comes long before the 20 s grace would end.
  @Tag("G2")
  @ParameterizedTest
  @EnumSource(Backend.class)
  void connectionWithNothingInFlightIsShutDownAtOnce(Backend backend) throws Exception {
    try (Subject.Server server = backend.serve(KwikPeer.ALPN, certs);
        KwikPeer client = KwikPeer.client(server.port(), certs)) {
      Subject.Accepted a = server.connections().blockFirst(WAIT);
      tech.kwik.core.QuicStream control = client.kwikClient().createStream(false);
      control.getOutputStream().write(new byte[] {0x00});
      control.getOutputStream().flush();
      CompletableFuture<Long> response = request(client, "request");
      a.peerStreams()
          .take(2)
          .flatMap(
              s ->
                  s.bidirectional()
                      ? s.readAll().then(s.write(ByteBuffer.allocate(10))).then(s.conclude())
                      : Mono.empty())
          .blockLast(WAIT);
      assertThat(response.get(30, TimeUnit.SECONDS)).isEqualTo(10);

      ShutdownReport report = server.shutdown(GRACEFUL).block(Duration.ofSeconds(5));

      ReportShape.assertClean(report, 1, Outcome.COMPLETE);
      assertThat(client.ended.get(10, TimeUnit.SECONDS).closedByPeer()).isTrue();
    }
  }

  // G2: a request never answered holds its connection for the grace period only; then the policy
  // closes it, and the client's request ends unanswered.
  @Tag("G2")
  @ParameterizedTest
  @EnumSource(Backend.class)
  void requestNeverAnsweredHoldsTheConnectionForTheGraceOnly(Backend backend) throws Exception {
    try (Subject.Server server = backend.serve(KwikPeer.ALPN, certs);
        KwikPeer client = KwikPeer.client(server.port(), certs)) {
      Subject.Accepted a = server.connections().blockFirst(WAIT);
      CompletableFuture<Long> response = request(client, "request");
      Subject.Stream s = a.peerStreams().filter(Subject.Stream::bidirectional).blockFirst(WAIT);
      assertThat(s.readAll().block(WAIT)).isEqualTo(7);

      ShutdownReport report =
          server
              .shutdown(
                  ServerShutdown.of(ShutdownSpec.bidirectional())
                      .grace(Duration.ofSeconds(1))
                      .deadline(Duration.ofSeconds(10)))
              .block(WAIT);

      assertThat(report.elapsed()).isBetween(Duration.ofSeconds(1), Duration.ofSeconds(9));
      assertThat(report.connections()).isEqualTo(1);
      assertThat(report.stragglers()).isEmpty();
      assertThat(client.ended.get(10, TimeUnit.SECONDS).closedByPeer()).isTrue();
      assertThat(response.get(30, TimeUnit.SECONDS)).as("no response").isLessThanOrEqualTo(0);
    }
  }

  // ---- against ngtcp2 (gtlsserver, gtlsclient) ----

  private PeerProcess gtlsserver(int port, String... extra) throws Exception {
    return Ngtcp2.server(port, certs, Files.createDirectories(dir.resolve("htdocs")), extra);
  }

  /** An h3 client connection to gtlsserver, its control stream open. */
  private static Subject h3Client(Backend backend, int port) throws Exception {
    Subject c = backend.connect(local(port), "h3", certs);
    // the control stream never ends: opened past graceful, so no drain waits for it
    c.sendUntracked(Ngtcp2.controlStream()).block(WAIT);
    return c;
  }

  // Q1, Q5: a 2 MB request body written and concluded just before the shutdown reaches ngtcp2
  // whole before the CONNECTION_CLOSE, which carries the code and reason.
  @Tag("Q1")
  @Tag("Q5")
  @ParameterizedTest
  @EnumSource(Backend.class)
  void drainDeliversTwoMegabytesToGtlsserver(Backend backend) throws Exception {
    int port = Backend.freeUdpPort();
    try (PeerProcess server = gtlsserver(port)) {
      Subject c = h3Client(backend, port);
      Subject.Stream s = c.open(true).block(WAIT);
      s.write(ByteBuffer.wrap(Ngtcp2.postHead("127.0.0.1:" + port, SIZE))).block(WAIT);
      s.write(ByteBuffer.allocate(SIZE)).then(s.conclude()).subscribe();
      ShutdownResult r =
          c.shutdown(closeWith(0x100, "done").timeout(Duration.ofSeconds(20))).block(WAIT);
      assertThat(r.drained()).isEqualTo(DrainStatus.DRAINED);
      assertThat(r.outcome()).isEqualTo(Outcome.COMPLETE);
      server.awaitLine("CONNECTION_CLOSE", WAIT);
      assertThat(Ngtcp2.receivedClose(server)).hasValue(new Ngtcp2.Close(0x100, 4, "done"));
      int head = Ngtcp2.postHead("127.0.0.1:" + port, SIZE).length;
      assertThat(Ngtcp2.contiguousBeforeClose(server, 0)).isEqualTo(head + SIZE);
    }
  }

  // Q2, Q4, Q7: a refused code sends nothing; rapid is SENT and ngtcp2's only close is its one.
  @Tag("Q2")
  @Tag("Q4")
  @Tag("Q7")
  @ParameterizedTest
  @EnumSource(Backend.class)
  void rapidIsSentAndRefusedCodesSendNothingToGtlsserver(Backend backend) throws Exception {
    int port = Backend.freeUdpPort();
    try (PeerProcess server = gtlsserver(port)) {
      Subject c = h3Client(backend, port);
      assertThat(error(c.shutdown(closeWith(-1, "x").rapid())).reason())
          .isEqualTo(ShutdownException.Reason.INVALID_ARGUMENT);
      ShutdownResult rapid = c.shutdown(closeWith(0x10c, "rapid").rapid()).block(WAIT);
      assertThat(rapid.outcome()).isEqualTo(Outcome.SENT);
      assertThat(c.shutdown(closeWith(7, "ignored")).block(WAIT).outcome())
          .isEqualTo(Outcome.COMPLETE);
      server.awaitLine("CONNECTION_CLOSE", WAIT);
      assertThat(Ngtcp2.receivedClose(server)).hasValue(new Ngtcp2.Close(0x10c, 5, "rapid"));
    }
  }

  // Q3: the long reason reaches ngtcp2 cut at a code point, 1,022 bytes.
  @Tag("Q3")
  @ParameterizedTest
  @EnumSource(Backend.class)
  void longReasonReachesGtlsserverCutAtACodePoint(Backend backend) throws Exception {
    int port = Backend.freeUdpPort();
    try (PeerProcess server = gtlsserver(port)) {
      Subject c = h3Client(backend, port);
      c.shutdown(closeWith(1, "é😀".repeat(1700))).block(WAIT);
      server.awaitLine("CONNECTION_CLOSE", WAIT);
      assertThat(Ngtcp2.receivedClose(server))
          .get()
          .extracting(Ngtcp2.Close::code, Ngtcp2.Close::reasonLength)
          .containsExactly(1L, 1022);
    }
  }

  // Q8, Q12: wait-peer ends with ngtcp2's own close: DATA before HEADERS is H3_FRAME_UNEXPECTED
  // (0x105), an application close from the peer.
  @Tag("Q8")
  @Tag("Q12")
  @ParameterizedTest
  @EnumSource(Backend.class)
  void waitPeerSeesGtlsserversErrorCode(Backend backend) throws Exception {
    int port = Backend.freeUdpPort();
    try (PeerProcess server = gtlsserver(port)) {
      Subject c = h3Client(backend, port);
      CompletableFuture<ShutdownResult> waiting =
          c.shutdown(ShutdownSpec.bidirectional().waitPeer()).toFuture();
      c.open(true)
          .flatMap(s -> s.write(ByteBuffer.wrap(new byte[] {0x00, 0x01, 0x00})))
          .block(WAIT);
      ShutdownResult r = withPeerLog(waiting, server);
      assertThat(r.outcome()).isEqualTo(Outcome.COMPLETE);
      assertThat(r.initiator()).isEqualTo(Initiator.PEER);
      assertThat(r.state().received()).isTrue();
      assertThat(r.peerErrorCode()).hasValue(0x105);
      assertThat(r.closeInfo()).get().extracting(CloseInfo::errorCode).isEqualTo(0x105L);
      assertThat(r.closeInfo()).get().extracting(CloseInfo::local).isEqualTo(false);
      assertThat(r.closeInfo()).get().extracting(CloseInfo::transport).isEqualTo(false);
    }
  }

  // Q8: ngtcp2's 1 s idle timeout ends a wait-peer; nothing was sent either way.
  @Tag("Q8")
  @ParameterizedTest
  @EnumSource(Backend.class)
  void waitPeerEndsOnGtlsserversIdleTimeout(Backend backend) throws Exception {
    int port = Backend.freeUdpPort();
    try (PeerProcess server = gtlsserver(port, "--timeout=1s")) {
      Subject c = h3Client(backend, port);
      ShutdownResult r = c.shutdown(ShutdownSpec.bidirectional().waitPeer()).block(WAIT);
      assertThat(r.outcome()).isEqualTo(Outcome.COMPLETE);
      assertThat(r.state()).isEqualTo(ShutdownState.RECEIVED);
      assertThat(r.peerErrorCode()).isEmpty();
      assertThat(Ngtcp2.receivedClose(server)).isEmpty();
    }
  }

  /** Reads an h3 request to its end, then writes a response head and {@code body} bytes. */
  private static Mono<Subject.Stream> respond(Subject.Stream s, int body) {
    return s.readAll()
        .then(s.write(ByteBuffer.wrap(Ngtcp2.responseHead(body))))
        .then(s.write(ByteBuffer.allocate(body)))
        .thenReturn(s);
  }

  // Q1, Q5 server side: a 2 MB response concluded just before the server's shutdown arrives whole
  // in gtlsclient's download, then ngtcp2 logs the server's code and reason.
  @Tag("Q1")
  @Tag("Q5")
  @ParameterizedTest
  @EnumSource(Backend.class)
  void serverDrainDeliversTwoMegabytesToGtlsclient(Backend backend) throws Exception {
    Path download = Files.createDirectories(dir.resolve("download"));
    try (Subject.Server server = backend.serve("h3", certs);
        PeerProcess client = Ngtcp2.client(server.port(), "/big", download)) {
      CompletableFuture<ShutdownResult> result =
          server
              .connections()
              .next()
              .flatMap(
                  a ->
                      a.peerStreams()
                          // HTTP/3's control and QPACK streams are read too, as a server must
                          .doOnNext(s -> s.readAll().subscribe(null, e -> {}))
                          .filter(Subject.Stream::bidirectional)
                          .next()
                          .flatMap(
                              s ->
                                  s.readAll()
                                      .then(s.write(ByteBuffer.wrap(Ngtcp2.responseHead(SIZE))))
                                      .doOnSuccess(
                                          v ->
                                              // the body and FIN go on while the shutdown starts
                                              s.write(ByteBuffer.allocate(SIZE))
                                                  .then(s.conclude())
                                                  .subscribe()))
                          .then(
                              a.connection()
                                  .shutdown(
                                      closeWith(0x100, "bye").timeout(Duration.ofSeconds(20)))))
              .toFuture();
      ShutdownResult r = withPeerLog(result, client);
      assertThat(r.drained()).isEqualTo(DrainStatus.DRAINED);
      client.awaitExit(WAIT);
      assertThat(Files.size(download.resolve("big"))).isEqualTo(SIZE);
      assertThat(Ngtcp2.receivedClose(client)).hasValue(new Ngtcp2.Close(0x100, 3, "bye"));
    }
  }

  // Q8 server side: after a complete response gtlsclient closes with H3_NO_ERROR (0x100); the
  // server's wait-peer reports it, initiator PEER.
  @Tag("Q8")
  @Tag("Q12")
  @ParameterizedTest
  @EnumSource(Backend.class)
  void serverWaitPeerSeesGtlsclientsClose(Backend backend) throws Exception {
    Path download = Files.createDirectories(dir.resolve("download"));
    try (Subject.Server server = backend.serve("h3", certs);
        PeerProcess client =
            Ngtcp2.client(server.port(), "/small", download, "--exit-on-all-streams-close")) {
      CompletableFuture<ShutdownResult> result =
          server
              .connections()
              .next()
              .flatMap(
                  a ->
                      a.peerStreams()
                          .filter(Subject.Stream::bidirectional)
                          .next()
                          .flatMap(s -> respond(s, 1000))
                          .flatMap(s -> s.conclude())
                          .then(a.connection().shutdown(ShutdownSpec.bidirectional().waitPeer())))
              .toFuture();
      ShutdownResult r = withPeerLog(result, client);
      assertThat(r.initiator()).isEqualTo(Initiator.PEER);
      assertThat(r.peerErrorCode()).hasValue(0x100);
      assertThat(r.outcome()).isEqualTo(Outcome.COMPLETE);
      assertThat(r.closeInfo()).hasValue(CloseInfo.application(0x100, "", false));
      assertThat(client.awaitExit(WAIT)).isZero();
      assertThat(Files.size(download.resolve("small"))).isEqualTo(1000);
    }
  }

  static ShutdownResult withPeerLog(CompletableFuture<ShutdownResult> f, PeerProcess peer)
      throws Exception {
    try {
      return f.get(30, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new AssertionError("no result (" + e + "); the peer's last lines:\n" + peer.tail(), e);
    }
  }
}
