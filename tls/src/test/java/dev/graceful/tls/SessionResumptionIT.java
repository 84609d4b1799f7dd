package dev.graceful.tls;

import static dev.graceful.tls.ClientAgainstOpenSslServerIT.WAIT;
import static dev.graceful.tls.ClientAgainstOpenSslServerIT.utf8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.graceful.core.LoopGroup;
import dev.graceful.core.Outcome;
import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.testkit.PeerProcess;
import dev.graceful.testkit.TestCerts;
import java.net.InetSocketAddress;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * T9 and T10 against {@code openssl s_server}, whose exit statistics ("N session cache hits") say
 * independently of graceful whether the second connection resumed.
 */
class SessionResumptionIT {
  static LoopGroup loops;
  static TestCerts certs;

  @BeforeAll
  static void setUp() {
    loops = LoopGroup.create(1);
    certs = TestCerts.create();
  }

  @AfterAll
  static void tearDown() {
    loops.shutdown().block(WAIT);
  }

  /** Runs two connections with one client context; returns [resumed per graceful, cache hits]. */
  private static Object[] twoConnections(
      String tls, java.util.function.BiFunction<TlsConnection, PeerProcess, Void> first) {
    int port = PeerProcess.freePort();
    SSLContext ctx = certs.client();
    try (PeerProcess server = PeerProcess.server(port, certs, "-naccept", "2")) {
      TlsConnection c1 = connect(port, tls, ctx);
      assertThat(c1.resumed()).isFalse();
      first.apply(c1, server);
      TlsConnection c2 = connect(port, tls, ctx);
      boolean resumed = c2.resumed();
      c2.shutdown(ShutdownSpec.bidirectional().discardUnread().timeout(WAIT)).block(WAIT);
      c2.release().block(WAIT);
      server.awaitExit(WAIT);
      String hits = server.awaitLine("session cache hits", WAIT).trim();
      return new Object[] {resumed, Integer.parseInt(hits.split("\\s+")[0])};
    }
  }

  private static TlsConnection connect(int port, String tls, SSLContext ctx) {
    return TlsConnection.connect(
            new InetSocketAddress("127.0.0.1", port),
            ctx,
            loops,
            e -> e.setEnabledProtocols(new String[] {"TLSv" + tls}))
        .block(WAIT);
  }

  // T10: a client that only wrote completes a full shutdown; the server's TLS 1.3 tickets are
  // processed on the way, so the next connection resumes.
  @Tag("T10")
  @ParameterizedTest
  @ValueSource(strings = {"1.2", "1.3"})
  void writeOnlyClientWithFullShutdownResumesNextConnection(String tls) {
    Object[] r =
        twoConnections(
            tls,
            (c, server) -> {
              c.send(utf8("only-writing\n")).block(WAIT);
              ShutdownResult res =
                  c.shutdown(ShutdownSpec.bidirectional().timeout(WAIT)).block(WAIT);
              assertThat(res.outcome()).isEqualTo(Outcome.COMPLETE);
              assertThat(res.sessionResumable()).isTrue();
              c.release().block(WAIT);
              return null;
            });
    assertThat(r[0]).as("graceful reports the second handshake resumed").isEqualTo(true);
    assertThat(r[1]).as("s_server counted a session cache hit").isEqualTo(1);
  }

  // T10 control: the same write-only client with a fast shutdown never reads, so TLS 1.3 tickets
  // are never processed and nothing can be resumed (TLS 1.2 resumes by session id regardless).
  @Tag("T10")
  @ParameterizedTest
  @ValueSource(strings = {"1.3"})
  void writeOnlyClientWithFastShutdownCannotResumeTls13(String tls) {
    Object[] r =
        twoConnections(
            tls,
            (c, server) -> {
              c.send(utf8("only-writing\n")).block(WAIT);
              c.shutdown(ShutdownSpec.bidirectional().fast()).block(WAIT);
              c.release().block(WAIT);
              return null;
            });
    assertThat(r[0]).isEqualTo(false);
    assertThat(r[1]).isEqualTo(0);
  }

  // T9: a connection released without SENT has its session invalidated: no resumption.
  @Tag("T9")
  @ParameterizedTest
  @ValueSource(strings = {"1.2", "1.3"})
  void releaseWithoutSentInvalidatesSession(String tls) {
    Object[] r =
        twoConnections(
            tls,
            (c, server) -> {
              readTicketsAndData(c, server);
              c.release().block(WAIT); // no shutdown: SENT was never set
              return null;
            });
    assertThat(r[0]).isEqualTo(false);
    assertThat(r[1]).isEqualTo(0);
  }

  // T9 control: the same connection with SENT set (fast shutdown) before release stays resumable.
  @Tag("T9")
  @ParameterizedTest
  @ValueSource(strings = {"1.2", "1.3"})
  void releaseAfterSentKeepsSessionResumable(String tls) {
    Object[] r =
        twoConnections(
            tls,
            (c, server) -> {
              readTicketsAndData(c, server);
              c.shutdown(ShutdownSpec.bidirectional().fast()).block(WAIT);
              c.release().block(WAIT);
              return null;
            });
    assertThat(r[0]).isEqualTo(true);
    assertThat(r[1]).isEqualTo(1);
  }

  // T9: releasing a connection without SENT invalidates that connection's session only. Another
  // connection to the same host and port keeps its session and the tickets it received valid in the
  // client cache. (Which session the JDK offers next is its own choice: its client cache keeps one
  // entry per host and port, and any removal empties it; see SessionCache.)
  @Tag("T9")
  @Test
  void releaseWithoutSentKeepsOtherConnectionsSessionsValid() {
    int port = PeerProcess.freePort();
    SSLContext ctx = certs.client();
    try (PeerProcess server = PeerProcess.server(port, certs, "-naccept", "2")) {
      TlsConnection first = connect(port, "1.3", ctx); // never reads: holds no ticket
      server.send("q\n"); // s_server drops the first connection and accepts the next one
      TlsConnection second = connect(port, "1.3", ctx);
      assertThat(second.resumed()).as("nothing to resume yet").isFalse();
      readTicketsAndData(second, server);
      java.util.List<javax.net.ssl.SSLSession> others = cachedFor(ctx, port);
      others.removeIf(s -> java.util.Arrays.equals(s.getId(), first.session().getId()));
      assertThat(others).as("the second connection's sessions and tickets").isNotEmpty();

      first.release().block(WAIT); // the first ends uncleanly: its session is bad, not the second's

      assertThat(first.session().isValid()).isFalse();
      assertThat(second.session().isValid()).as("the second connection's session").isTrue();
      assertThat(others)
          .as("the second connection's tickets")
          .allMatch(javax.net.ssl.SSLSession::isValid);
      second.shutdown(ShutdownSpec.bidirectional().fast()).block(WAIT);
      second.release().block(WAIT);
      assertThat(second.session().isValid()).as("released after SENT").isTrue();
      server.awaitExit(WAIT);
    }
  }

  private static java.util.List<javax.net.ssl.SSLSession> cachedFor(SSLContext ctx, int port) {
    javax.net.ssl.SSLSessionContext cache = ctx.getClientSessionContext();
    java.util.List<javax.net.ssl.SSLSession> found = new java.util.ArrayList<>();
    for (byte[] id : java.util.Collections.list(cache.getIds())) {
      javax.net.ssl.SSLSession s = cache.getSession(id);
      if (s != null && s.getPeerPort() == port) {
        found.add(s);
      }
    }
    return found;
  }

  /** Makes the client read (so TLS 1.3 tickets are processed) without the peer closing. */
  private static void readTicketsAndData(TlsConnection c, PeerProcess server) {
    server.send("from-server\n"); // sent after the tickets, so reading it processes them
    assertThat(c.receive().next().block(WAIT)).isNotNull();
  }
}
