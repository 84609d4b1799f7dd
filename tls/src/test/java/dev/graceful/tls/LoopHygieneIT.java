package dev.graceful.tls;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graceful.core.LoopGroup;
import dev.graceful.core.ShutdownException;
import dev.graceful.core.ShutdownException.Reason;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.core.spi.SelectorLoops;
import dev.graceful.core.spi.loop.SelectorLoop;
import dev.graceful.testkit.TestCerts;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.Exceptions;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Bad input and clean-up on real selector loops, graceful on both ends of loopback TCP. */
class LoopHygieneIT {
  static final Duration WAIT = Duration.ofSeconds(30);
  static final Duration HANDSHAKES = Duration.ofSeconds(120);
  LoopGroup serverLoops;
  LoopGroup clientLoops;
  TlsServer server;
  TestCerts certs;
  final BlockingQueue<TlsConnection> accepted = new LinkedBlockingQueue<>();

  @BeforeEach
  void start() {
    certs = TestCerts.create();
    serverLoops = LoopGroup.create(2);
    clientLoops = LoopGroup.create(2);
    server =
        TlsServer.bind(new InetSocketAddress("127.0.0.1", 0), certs.server(), serverLoops, e -> {})
            .block(WAIT);
    server.connections().subscribe(accepted::add);
  }

  @AfterEach
  void stop() {
    server.stopAccepting().block(WAIT);
    serverLoops.shutdown().block(WAIT);
    clientLoops.shutdown().block(WAIT);
  }

  TlsConnection client() {
    return TlsConnection.connect(server.address(), certs.client(), clientLoops, e -> {})
        .block(WAIT);
  }

  TlsConnection accepted() throws InterruptedException {
    TlsConnection c = accepted.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
    assertThat(c).isNotNull();
    return c;
  }

  // T5 bad input: a peer flooding data while we wait for its close_notify neither grows our
  // memory nor stops the deadline.
  @Tag("T5")
  @Test
  void floodingPeerNeitherGrowsMemoryNorStopsTheDeadline() throws Exception {
    TlsConnection flooder = client();
    TlsConnection c = accepted();
    assertThat(c.bufferCapacity()).as("an idle connection holds no record buffers").isZero();
    ByteBuffer chunk = ByteBuffer.allocate(64 * 1024);
    Disposable flood =
        Mono.defer(() -> flooder.send(chunk.duplicate())).repeat().subscribe(v -> {}, e -> {});
    try {
      long start = System.nanoTime();
      Throwable t =
          Exceptions.unwrap(
              org.assertj.core.api.Assertions.catchThrowable(
                  () ->
                      c.shutdown(
                              ShutdownSpec.bidirectional()
                                  .discardUnread()
                                  .timeout(Duration.ofSeconds(2)))
                          .block(WAIT)));
      long tookMs = (System.nanoTime() - start) / 1_000_000;
      assertThat(t).isInstanceOf(ShutdownException.class);
      assertThat(((ShutdownException) t).reason()).isEqualTo(Reason.TIMEOUT);
      assertThat(tookMs).as("the deadline fired on time despite the flood").isLessThan(4_000);
      assertThat(c.bytesRead()).as("the flood was read and discarded").isGreaterThan(1_000_000);
      assertThat(c.bufferCapacity())
          .as("at most one record-sized buffer each way (pooled 17 KiB slabs), none grown")
          .isLessThanOrEqualTo(3 * 17 * 1024);
    } finally {
      flood.dispose();
      c.release().block(WAIT);
      flooder.release().block(WAIT);
    }
  }

  // R2 at scale: thousands of in-flight shutdowns cancelled leave no interest, task or key behind;
  // releasing the connections leaves no channel open.
  @Tag("R2")
  @Test
  void cancellingThousandsOfShutdownsLeavesNothingBehind() throws Exception {
    int n = 2000;
    List<TlsConnection> clients =
        Flux.range(0, n)
            .flatMap(
                i -> TlsConnection.connect(server.address(), certs.client(), clientLoops, e -> {}),
                64)
            .collectList()
            // 2,000 handshakes: a bound for a machine whose cores other builds share, not a speed
            // target
            .block(HANDSHAKES);
    List<TlsConnection> servers = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      servers.add(accepted());
    }
    List<Disposable> pending = new ArrayList<>(n);
    for (TlsConnection s : servers) {
      pending.add(s.shutdown(ShutdownSpec.bidirectional().noTimeout().discardUnread()).subscribe());
    }
    // a census runs after the tasks queued before it: every first step has run by then
    awaitQuietLoops(serverLoops);
    assertThat(servers).allSatisfy(s -> assertThat(s.shutdownState().sent()).isTrue());
    assertThat(sumInterest(servers)).as("waiting shutdowns register read interest").isPositive();
    pending.forEach(Disposable::dispose);
    awaitQuietLoops(serverLoops);
    assertThat(sumInterest(servers)).as("no interest left after cancel").isZero();
    assertThat(servers).allSatisfy(s -> assertThat(s.shutdownState().sent()).isTrue());
    Flux.fromIterable(servers)
        .concatWith(Flux.fromIterable(clients))
        .flatMap(TlsConnection::release)
        .blockLast(WAIT);
    int[] keys = census(serverLoops);
    assertThat(keys[0]).as("only the listener stays registered").isEqualTo(1);
    assertThat(keys[1]).as("no loop task left").isZero();
    assertThat(census(clientLoops)).containsExactly(0, 0);
    assertThat(servers).noneMatch(s -> s.transport().isOpen());
    assertThat(clients).noneMatch(s -> s.transport().isOpen());
  }

  // An idle connection costs the selector nothing: read interest kept after the handshake's last
  // read (so that a shutdown after it changes no interest) is dropped at the first input that
  // nobody waits for, so unread input cannot keep waking the loop.
  @Tag("T13")
  @Test
  void inputNobodyWaitsForDropsKeptReadInterest() throws Exception {
    TlsConnection client = client();
    TlsConnection server = accepted();
    ChannelTransport transport = (ChannelTransport) server.transport();
    awaitQuietLoops(serverLoops);
    assertThat(transport.interestOps()).as("nobody waits").isZero();
    assertThat(transport.selectorInterest())
        .as("read interest kept from the handshake's last read")
        .isEqualTo(java.nio.channels.SelectionKey.OP_READ);
    client.send(ByteBuffer.wrap(new byte[] {1, 2, 3})).block(WAIT);
    // The kernel may hand the bytes to the server's socket after send completes (loopback defers
    // delivery under load), so the loop is given rounds until it has selected them; each round is a
    // select on the loop, not a sleep. An interest that is never dropped fails after WAIT.
    boolean dropped = awaitLoopsUntil(serverLoops, () -> transport.selectorInterest() == 0);
    assertThat(dropped).as("dropped at input nobody waited for").isTrue();
    assertThat(transport.interestOps()).as("still nobody waits").isZero();
    // the kept interest did not disturb the shutdown that follows (the server discards the bytes)
    Mono.zip(
            client.shutdown(ShutdownSpec.bidirectional()),
            server.shutdown(ShutdownSpec.bidirectional().discardUnread()))
        .block(WAIT);
    Flux.just(client, server).flatMap(TlsConnection::release).blockLast(WAIT);
  }

  private static int sumInterest(List<TlsConnection> conns) {
    return conns.stream().mapToInt(c -> ((ChannelTransport) c.transport()).interestOps()).sum();
  }

  /**
   * Runs census rounds (each one selects on every loop) until {@code condition} holds or {@link
   * #WAIT} has passed.
   *
   * @return whether the condition held
   */
  private static boolean awaitLoopsUntil(
      LoopGroup loops, java.util.function.BooleanSupplier condition) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (System.nanoTime() < deadline) {
      awaitQuietLoops(loops);
      if (condition.getAsBoolean()) {
        return true;
      }
    }
    return false;
  }

  /** Runs a census on every loop twice, so tasks posted by cancellation have run. */
  private static void awaitQuietLoops(LoopGroup loops) {
    census(loops);
    census(loops);
  }

  private static int[] census(LoopGroup loops) {
    int[] sum = new int[2];
    for (SelectorLoop l : SelectorLoops.of(loops)) {
      int[] c = l.census().block(WAIT);
      sum[0] += c[0];
      sum[1] += c[1];
    }
    return sum;
  }
}
