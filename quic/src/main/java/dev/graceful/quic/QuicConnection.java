package dev.graceful.quic;

import dev.graceful.core.LoopGroup;
import dev.graceful.core.ShutdownException;
import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.core.ShutdownState;
import dev.graceful.core.Shutdownable;
import dev.graceful.core.spi.SelectorLoops;
import dev.graceful.core.spi.ShutdownCoordinator;
import dev.graceful.core.spi.loop.SelectorLoop;
import dev.graceful.quic.internal.KwikEngine;
import dev.graceful.quic.internal.KwikInternals;
import java.util.Objects;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * A Kwik QUIC connection (client or server side) with SSL_shutdown_ex semantics: {@link
 * #shutdown(ShutdownSpec)} closes it by the spec's mode ({@code rfc()} by default, {@code rapid()},
 * {@code waitPeer()}), with the code and reason of the spec's {@link QuicShutdown} option, draining
 * the streams opened through {@link #openStream()} and {@link #openUnidirectionalStream()} first
 * unless {@code noStreamFlush()}. graceful owns the connection's {@code ConnectionListener}.
 */
public final class QuicConnection implements Shutdownable {
  private final KwikEngine engine;
  private final ShutdownCoordinator coordinator;
  private final reactor.core.scheduler.Scheduler timer;
  private final java.util.concurrent.Executor blockingCalls;
  private final java.util.concurrent.atomic.AtomicLong bytesRead =
      new java.util.concurrent.atomic.AtomicLong();

  /**
   * Where Kwik's calls that may wait for its locks run (close, stall restarts, the ack-eliciting
   * PING): threads of graceful's own, so an application that fills {@code
   * Schedulers.boundedElastic()} with blocking stream reads and writes cannot starve a shutdown.
   */
  static final reactor.core.scheduler.Scheduler KWIK_CALLS =
      Schedulers.newBoundedElastic(
          Math.max(4, 2 * Runtime.getRuntime().availableProcessors()),
          Integer.MAX_VALUE,
          "graceful-kwik",
          60,
          true);

  private static final java.util.concurrent.Executor ELASTIC = task -> KWIK_CALLS.schedule(task);

  private QuicConnection(
      tech.kwik.core.QuicConnection kwik, SelectorLoop loop, String identity, QuicOptions options) {
    this.timer = options.timer();
    this.blockingCalls = options.blockingCalls().orElse(ELASTIC);
    this.engine =
        new KwikEngine(
            kwik, loop, identity, options.blockingCalls().orElse(ELASTIC), options.timer());
    this.coordinator = new ShutdownCoordinator(new QuicShutdownEngine(engine));
    engine.listen();
    if (options.closeThreads() == QuicOptions.CloseThreads.AHEAD) {
      engine.startCloseThreadsAhead();
    }
    // Q7: a fresh JVM's first close would pay for linking its path before SENT; warmed up on
    // graceful's own pool, never ahead of the application's executor's real work nor on the thread
    // that wraps the connection (Kwik's accept thread, say)
    CloseWarmUp.closePath(kwik, ELASTIC);
  }

  /**
   * Q7: links graceful's close path ahead of the first close, once per JVM, on graceful's own pool
   * (it returns at once). {@link QuicClient} does this when it starts connecting and {@code of}
   * when it wraps a connection; an application that builds its Kwik connections itself calls it
   * before the first handshake, so that the warm-up runs while the handshake does instead of beside
   * the first close. Nothing it does reaches a connection or the network.
   */
  public static void warmUp() {
    CloseWarmUp.graceful(ELASTIC);
  }

  /**
   * @param kwik an established Kwik connection; graceful takes its connection listener
   * @param loops the group whose next loop this connection's shutdown runs on
   * @param identity a name for results and errors, e.g. the peer's address
   * @return the connection
   */
  public static QuicConnection of(
      tech.kwik.core.QuicConnection kwik, LoopGroup loops, String identity) {
    return of(kwik, loops, identity, QuicOptions.defaults());
  }

  /**
   * As {@link #of(tech.kwik.core.QuicConnection, LoopGroup, String)}, running Kwik's calls that may
   * wait for its locks (close, stall restarts) on {@code blockingCalls} instead of graceful's own
   * small pool of daemon threads; the same as {@code
   * QuicOptions.defaults().blockingCalls(blockingCalls)}.
   *
   * @param kwik an established Kwik connection
   * @param loops the group whose next loop this connection's shutdown runs on
   * @param identity a name for results and errors
   * @param blockingCalls never a loop thread
   * @return the connection
   */
  public static QuicConnection of(
      tech.kwik.core.QuicConnection kwik,
      LoopGroup loops,
      String identity,
      java.util.concurrent.Executor blockingCalls) {
    return of(
        kwik,
        loops,
        identity,
        QuicOptions.defaults()
            .blockingCalls(Objects.requireNonNull(blockingCalls, "blockingCalls")));
  }

  /**
   * As {@link #of(tech.kwik.core.QuicConnection, LoopGroup, String)}, with options.
   *
   * @param kwik an established Kwik connection; graceful takes its connection listener
   * @param loops the group whose next loop this connection's shutdown runs on
   * @param identity a name for results and errors
   * @param options where Kwik's blocking calls run; whether its close threads start now
   * @return the connection
   */
  public static QuicConnection of(
      tech.kwik.core.QuicConnection kwik, LoopGroup loops, String identity, QuicOptions options) {
    return new QuicConnection(
        Objects.requireNonNull(kwik, "kwik"),
        SelectorLoops.next(Objects.requireNonNull(loops, "loops")),
        Objects.requireNonNull(identity, "identity"),
        Objects.requireNonNull(options, "options"));
  }

  /**
   * Opens a bidirectional stream whose data a later shutdown drains (Q5). Kwik opens streams
   * without waiting unless the peer's stream limit is reached, so this runs off the loop. Once a
   * shutdown other than a peer wait has begun, or the connection has ended, it fails with {@code
   * ILLEGAL_STATE}: nothing is opened behind the close.
   *
   * @return the stream
   */
  public Mono<QuicStreamHandle> openStream() {
    return open(true);
  }

  /**
   * Opens a unidirectional stream (this side sends, the peer only reads) whose data a later
   * shutdown drains (Q5), as {@link #openStream()} does.
   *
   * @return the stream
   */
  public Mono<QuicStreamHandle> openUnidirectionalStream() {
    return open(false);
  }

  private Mono<QuicStreamHandle> open(boolean bidirectional) {
    return Mono.fromCallable(
            () -> {
              if (engine.refusing()) {
                throw refused("no stream is opened once the connection's shutdown has begun");
              }
              return engine.connection().createStream(bidirectional);
            })
        .subscribeOn(Schedulers.boundedElastic())
        // a server connection is handed over when its handshake completes, before Kwik accepts
        // streams on it ("not connected" until the handshake is confirmed, which takes a
        // retransmission when a packet was lost): retried with backoff for about 8 s
        .retryWhen(
            reactor.util.retry.Retry.backoff(40, java.time.Duration.ofMillis(5))
                .maxBackoff(java.time.Duration.ofMillis(250))
                .scheduler(timer)
                .filter(
                    e ->
                        e instanceof java.io.IOException && "not connected".equals(e.getMessage())))
        .flatMap(this::trackOpened);
  }

  /**
   * Tracks a stream this side opened, unless a shutdown began while Kwik created it: the check and
   * the tracking run on the loop, where a shutdown's first step sets the refusal, so a stream is
   * either tracked before the shutdown (and drained) or abandoned and refused.
   */
  private Mono<QuicStreamHandle> trackOpened(tech.kwik.core.QuicStream s) {
    QuicStreamHandle h = new QuicStreamHandle(s, this);
    return Mono.create(
        sink ->
            engine
                .executor()
                .execute(
                    () -> {
                      if (engine.refusing()) {
                        abandon(s);
                        sink.error(
                            refused(
                                "no stream is opened once the connection's shutdown has begun"));
                        return;
                      }
                      try {
                        engine.track(h.tracked());
                      } catch (RuntimeException e) {
                        sink.error(e); // never a subscriber left waiting by a failed step
                        return;
                      }
                      sink.success(h);
                    }));
  }

  /** Resets a stream opened behind a shutdown, off the loop: nothing of it is drained. */
  private void abandon(tech.kwik.core.QuicStream s) {
    try {
      blockingCalls.execute(
          () -> {
            try {
              s.resetStream(0);
              if (s.isBidirectional()) {
                s.abortReading(0);
              }
            } catch (RuntimeException ignored) {
              // the connection is over already: nothing of the stream can go out
            }
          });
    } catch (java.util.concurrent.RejectedExecutionException stopping) {
      // the application is stopping: the close ends the stream with the connection
    }
  }

  /**
   * Tracks a stream the peer opened, so its writes are drained too.
   *
   * @param kwikStream a stream from Kwik's peer-initiated stream callback
   * @return the handle
   */
  public Mono<QuicStreamHandle> adopt(tech.kwik.core.QuicStream kwikStream) {
    return track(new QuicStreamHandle(Objects.requireNonNull(kwikStream, "kwikStream"), this));
  }

  private Mono<QuicStreamHandle> track(QuicStreamHandle h) {
    return Mono.create(
        sink ->
            engine
                .executor()
                .execute(
                    () -> {
                      engine.track(h.tracked());
                      sink.success(h);
                    }));
  }

  /**
   * @return true once a shutdown other than a peer wait has begun (its drain or its close), or the
   *     connection has ended: writes and new streams are refused
   */
  boolean refusing() {
    return engine.refusing();
  }

  /**
   * @param what what is refused
   * @return the refusal: {@code ILLEGAL_STATE}, with how the connection was closed when known
   */
  ShutdownException refused(String what) {
    return new ShutdownException(
        ShutdownException.Reason.ILLEGAL_STATE,
        connectionId(),
        engine.state(),
        what,
        null,
        engine.closeInfo());
  }

  /**
   * A write began, counted in flight already: Kwik's lost wakeup is watched for until everything is
   * sent. A running watch sees the write by its count, so no hop to the loop is needed then.
   */
  void sending() {
    if (!engine.watching()) {
      watch();
    }
  }

  /** A FIN was queued: watched as data is (the watch finds it in Kwik's send buffer). */
  void concluded() {
    watch();
  }

  private void watch() {
    try {
      engine.executor().execute(engine::sending);
    } catch (java.util.concurrent.RejectedExecutionException loopStopped) {
      // the application is stopping its loops: the write goes on, unwatched
    }
  }

  void poke() {
    engine.executor().execute(engine::poke);
  }

  void countRead(long n) {
    bytesRead.addAndGet(n);
    engine.executor().execute(() -> engine.bytesRead(n));
  }

  /**
   * @return application bytes read from the peer through this connection's stream handles so far
   *     ({@link QuicStreamHandle#readAll()}), as a shutdown result's {@code connectionBytesRead}
   *     counts them; any thread
   */
  public long bytesRead() {
    return bytesRead.get();
  }

  @Override
  public Mono<ShutdownResult> shutdown(ShutdownSpec spec) {
    return coordinator.shutdown(spec);
  }

  /**
   * @return the default shutdown: RFC mode, drain first, code 0, empty reason, 10 s deadline
   */
  public Mono<ShutdownResult> shutdown() {
    return shutdown(ShutdownSpec.bidirectional().rfc());
  }

  @Override
  public ShutdownState shutdownState() {
    return engine.state();
  }

  /**
   * Q11: setting a QUIC connection's shutdown state is not supported (SSL_set_shutdown is TLS's).
   *
   * @param state not used
   * @return an error, always
   */
  public Mono<Void> setShutdownState(ShutdownState state) {
    Objects.requireNonNull(state, "state");
    return Mono.error(
        new ShutdownException(
            ShutdownException.Reason.ILLEGAL_STATE,
            connectionId(),
            engine.state(),
            "the shutdown state of a QUIC connection cannot be set",
            null));
  }

  @Override
  public String connectionId() {
    return engine.connectionId();
  }

  /** A server-side connection's receive thread, as QuicServer's accept callback found it. */
  void receiveThread(Thread thread) {
    engine.receiveThread(thread);
  }

  /**
   * @return how often graceful restarted a stalled stream (Kwik's lost wakeup)
   */
  public Mono<Long> stallRecoveries() {
    return Mono.create(sink -> engine.executor().execute(() -> sink.success(engine.kicks())));
  }

  /**
   * @return completes once Kwik reports this connection over, for any reason: a local or peer
   *     close, an idle timeout, a stateless reset
   */
  public Mono<Void> ended() {
    return Mono.create(sink -> engine.whenEnded(sink::success));
  }

  /**
   * @return the peer's address: a client's server, or the address a server-side connection's client
   *     first came from (read from Kwik's internals); empty when Kwik does not say
   */
  public java.util.Optional<java.net.InetSocketAddress> peerAddress() {
    tech.kwik.core.QuicConnection k = engine.connection();
    if (k instanceof tech.kwik.core.QuicClientConnection client) {
      return java.util.Optional.ofNullable(client.getServerAddress());
    }
    return KwikInternals.initialRemoteAddress(k);
  }

  /**
   * @return the Kwik connection
   */
  public tech.kwik.core.QuicConnection kwik() {
    return engine.connection();
  }
}
