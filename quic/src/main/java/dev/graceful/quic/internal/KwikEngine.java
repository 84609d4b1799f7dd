package dev.graceful.quic.internal;

import dev.graceful.core.CloseInfo;
import dev.graceful.core.DrainStatus;
import dev.graceful.core.Initiator;
import dev.graceful.core.ShutdownException;
import dev.graceful.core.ShutdownException.Reason;
import dev.graceful.core.ShutdownMode;
import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownState;
import dev.graceful.core.spi.ShutdownEngine;
import dev.graceful.core.spi.ShutdownRequest;
import dev.graceful.core.spi.Step;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import tech.kwik.core.QuicConnection;

/**
 * SSL_shutdown_ex for one Kwik connection, confined to a selector loop; Kwik's callbacks are handed
 * to the loop. Nothing of Kwik's blocking API runs here ({@code closeAndWait} busy-waits).
 *
 * <p>The steps of a shutdown are decided here; the parts they build on each have their own class:
 * {@link ConnectionClose} (our close, its closing period, the state), {@link Termination} (how Kwik
 * reported the end), {@link Drain} (Q5), {@link LostWakeupRecovery} and {@link SendWatch} (Kwik's
 * lost wakeup), {@link Readiness} (who waits, and what wakes them).
 */
public final class KwikEngine implements ShutdownEngine {
  /** A stream graceful handed out, as the engine sees it. */
  public interface TrackedStream {
    /**
     * @return the Kwik stream
     */
    Object kwikStream();

    /**
     * @return true once the application reset it: its data need not be drained
     */
    boolean isReset();

    /**
     * @return writes handed to Kwik that have not returned yet
     */
    int writesInFlight();

    /**
     * @return true once a write failed (and the stream was not reset): bytes the peer will never
     *     get, so its drain is never proven
     */
    default boolean writeFailed() {
      return false;
    }

    /**
     * @return true when the application acknowledges this stream's data itself
     */
    default boolean applicationAckExpected() {
      return false;
    }

    /**
     * @return true once the application's acknowledgement arrived
     */
    default boolean applicationAcked() {
      return false;
    }
  }

  private final QuicConnection connection;
  private final Executor loop;
  private final String identity;
  private final Executor blockingCalls;
  private final Readiness readiness;
  private final TrackedStreams streams;
  private final LostWakeupRecovery recovery;
  private final Receiver receiver;
  private final ConnectionClose close;
  private final Termination termination;
  private final Drain drain;
  private final SendWatch sendWatch;
  private long connectionBytesRead;
  // a shutdown other than a peer wait took its first step, or the connection is over: new writes
  // and streams are refused (written on the loop, read by writers)
  private volatile boolean refusing;

  /**
   * As {@link #KwikEngine(QuicConnection, Executor, String, Executor, Scheduler)} with Reactor's
   * parallel scheduler for the send watch.
   *
   * @param connection the Kwik connection, established
   * @param loop the loop that owns this engine: a serial executor every call and callback runs on
   * @param identity a name for results and errors
   * @param blockingCalls where Kwik calls that may wait for its locks run (never the loop)
   */
  public KwikEngine(
      QuicConnection connection, Executor loop, String identity, Executor blockingCalls) {
    this(connection, loop, identity, blockingCalls, Schedulers.parallel());
  }

  /**
   * @param connection the Kwik connection, established
   * @param loop the loop that owns this engine: a serial executor every call and callback runs on
   * @param identity a name for results and errors
   * @param blockingCalls where Kwik calls that may wait for its locks run (never the loop)
   * @param timer what times the send watch outside a shutdown (R3; a shutdown's own timers run on
   *     its spec's scheduler)
   */
  public KwikEngine(
      QuicConnection connection,
      Executor loop,
      String identity,
      Executor blockingCalls,
      Scheduler timer) {
    this.connection = connection;
    this.loop = loop;
    this.identity = identity;
    this.blockingCalls = blockingCalls;
    this.readiness = new Readiness(loop);
    this.streams = new TrackedStreams(connection);
    this.recovery = new LostWakeupRecovery(blockingCalls, streams);
    this.receiver = new Receiver(connection, identity, blockingCalls);
    this.close = new ConnectionClose(connection, blockingCalls, readiness);
    this.termination = new Termination(close);
    this.drain =
        new Drain(
            streams,
            recovery,
            new LastAckPing(connection, blockingCalls, streams),
            receiver,
            readiness);
    this.sendWatch =
        new SendWatch(
            readiness,
            streams,
            recovery,
            () -> termination.over() || termination.terminated() || close.started(),
            timer);
  }

  /**
   * Hands Kwik's termination events to the loop; call once, before anything else. Kwik emits an
   * event only to the listener set at that moment, so a connection that ended before graceful got
   * it (an idle timeout, say) is recognised from its state instead, where internals are readable.
   */
  public void listen() {
    connection.setConnectionListener(
        e ->
            readiness.onLoop(
                () -> {
                  termination.onTerminated(e);
                  readiness.wake();
                  ended();
                }));
    // read now, not on the loop: a close made after wrapping (Kwik's own, say) is reported by its
    // event, which the loop may see after this task
    boolean overAlready = KwikInternals.state(connection).map(Termination::isOver).orElse(false);
    loop.execute(
        () -> {
          if (overAlready && !termination.terminated() && !close.started()) {
            termination.endedUnseen();
            readiness.wake();
            ended();
          }
        });
  }

  /**
   * Q7: a close's {@code SENT} waits for Kwik's {@code close()} to return, which would first start
   * two threads unless they run already ({@link KwikInternals#startCloseThreads}): starts them now,
   * on {@code blockingCalls}, off the caller's thread (Kwik's receive thread or a loop, maybe).
   */
  public void startCloseThreadsAhead() {
    try {
      blockingCalls.execute(() -> KwikInternals.startCloseThreads(connection));
    } catch (RejectedExecutionException e) {
      // the close will start them itself
    }
  }

  /**
   * Runs {@code r} on the loop once Kwik reports the connection over, for any reason (a local close
   * included), or at once if it already is.
   *
   * @param r the callback; loop thread
   */
  public void whenEnded(Runnable r) {
    loop.execute(() -> termination.whenEnded(r));
  }

  private void ended() {
    refusing = true;
    if (termination.markOver()) {
      sendWatch.stop();
      termination.runEndListeners();
    }
  }

  /**
   * @return true once a shutdown other than a peer wait took its first step (its drain, or its
   *     close), or the connection is over: nothing more may be written or opened; any thread
   */
  public boolean refusing() {
    return refusing;
  }

  /**
   * @return how the connection was closed, once known (Q12); any thread
   */
  public @Nullable CloseInfo closeInfo() {
    return termination.closeInfo();
  }

  /**
   * @param thread the thread on which Kwik processes what a server-side connection's peer sends, as
   *     QuicServer's accept callback found it (a client's is found at construction)
   */
  public void receiveThread(Thread thread) {
    receiver.receiveThread(thread);
  }

  /**
   * @param stream a stream handed out by graceful; loop thread
   */
  public void track(TrackedStream stream) {
    streams.track(stream);
  }

  /**
   * A write or a conclude began on a tracked stream: until every tracked stream has sent all it was
   * given, its progress is watched and a stream stalled by Kwik's lost wakeup is restarted, as a
   * drain does; loop thread. While a shutdown polls (a drain, a peer wait with data unsent), it
   * makes the restarts itself; a shutdown that waits without polling (a peer wait with nothing
   * unsent when it began, a non-blocking one between its calls) leaves them to the watch.
   */
  public void sending() {
    if (!termination.over() && !close.started()) {
      sendWatch.start();
    }
  }

  /**
   * @return true while a send watch is armed; any thread. A write counts itself in flight first,
   *     then reads this: the watch clears it before it looks for writes in flight, so either the
   *     write sees it cleared and starts a watch, or the watch sees the write and goes on.
   */
  public boolean watching() {
    return sendWatch.watching();
  }

  /**
   * @param n application bytes read from the peer; loop thread
   */
  public void bytesRead(long n) {
    connectionBytesRead += n;
  }

  /**
   * @return how often a stalled stream was restarted (Kwik's lost wakeup)
   */
  public long kicks() {
    return recovery.kicks();
  }

  /**
   * @return the Kwik connection
   */
  public QuicConnection connection() {
    return connection;
  }

  @Override
  public String protocolFamily() {
    return "QUIC";
  }

  @Override
  public String connectionId() {
    return identity;
  }

  @Override
  public Executor executor() {
    return loop;
  }

  @Override
  public ShutdownState state() {
    return close.state();
  }

  /**
   * Q1, Q4: the application error code and reason the close carries, already checked and fitted
   * (Q2, Q3); given before the first step, whose arguments are the ones sent. Loop only.
   *
   * @param errorCode in [0, 2^62 − 1]
   * @param reason valid UTF-8 that fits one packet
   */
  public void closeWith(long errorCode, String reason) {
    close.closeWith(errorCode, reason);
  }

  @Override
  public Step step(ShutdownRequest request) throws ShutdownException {
    ShutdownMode mode = quicMode(request.mode());
    if (mode != ShutdownMode.WAIT_PEER) {
      refusing = true; // before the drain reads the writes in flight (see QuicStreamHandle.write)
    }
    if (!close.started()) {
      if (termination.terminated()) {
        // Q7: "COMPLETE if already terminated"; Q6: the peer's close moved us to draining.
        return Step.COMPLETE;
      }
      if (mode == ShutdownMode.WAIT_PEER) {
        // Q8: wait for the peer (or another termination); implies no stream flush. A peer often
        // waits for our data (or FIN) before it closes: a stream stalled by Kwik's lost wakeup
        // would make both wait forever, so stalls are restarted here too.
        boolean unsent = streams.anyUnsent();
        if (unsent) {
          recovery.restartStalledStreams(request.timer().now(TimeUnit.NANOSECONDS));
        }
        return readiness.awaitEvents(request.timer(), unsent);
      }
      // Q5: "wait until all data written to a stream ... has been sent and acknowledged"
      if (request.streamFlush()
          && drain.status() != DrainStatus.DRAINED
          && drain.status() != DrainStatus.TIMEOUT) {
        Step waiting = drain.drainStep(request);
        if (waiting != null) {
          return waiting;
        }
      } else if (!request.streamFlush() && drain.status() == DrainStatus.NOT_APPLICABLE) {
        drain.skip();
      }
      termination.localClose(CloseInfo.application(close.code(), close.reason(), true));
      refusing = true;
      close.closeNow(request.timer());
    }
    if (close.inFlight()) {
      return Step.WANT_READ; // Kwik's close() has not returned yet
    }
    if (mode == ShutdownMode.RAPID) {
      // Q7: one best-effort CONNECTION_CLOSE: SENT (COMPLETE only if already over).
      return close.closingPeriodOver() || termination.terminated() ? Step.COMPLETE : Step.SENT;
    }
    // Q6 (and Q8 once a local close started: "this flag has no effect"): the closing period.
    if (close.closingPeriodOver() || termination.terminated() || close.peerMovedUsToDraining()) {
      return Step.COMPLETE;
    }
    close.armClosingPeriod(request.timer());
    return readiness.awaitEvents(request.timer(), KwikInternals.available());
  }

  private static ShutdownMode quicMode(ShutdownMode asked) throws ShutdownException {
    return switch (asked) {
      case BIDIRECTIONAL, RFC -> ShutdownMode.RFC;
      case FAST, RAPID -> ShutdownMode.RAPID;
      case WAIT_PEER -> ShutdownMode.WAIT_PEER;
      case QUIET ->
          throw new ShutdownException(
              Reason.INVALID_ARGUMENT,
              "quic",
              ShutdownState.NONE,
              "QUIC has no quiet shutdown",
              null);
    };
  }

  /**
   * Something a drain waits for happened outside Kwik (an application acknowledgement); loop
   * thread.
   */
  public void poke() {
    readiness.wake();
  }

  @Override
  public void awaitReadiness(Step want, Runnable onReady) {
    readiness.await(onReady);
  }

  @Override
  public void cancelReadiness(Runnable onReady) {
    readiness.cancel(onReady);
  }

  @Override
  public void closeTransport() {
    // QUIC's "transport" is the connection's UDP socket, owned by Kwik: it goes with the close.
  }

  @Override
  public ShutdownResult.Builder describe() {
    DrainStatus drained = drain.status();
    return ShutdownResult.builder(identity)
        .protocol("QUIC")
        .state(close.state())
        .initiator(termination.peerFirst() ? Initiator.PEER : Initiator.LOCAL)
        .connectionBytesRead(connectionBytesRead)
        .bytesDrained(drain.bytesDrained())
        .drained(drained == DrainStatus.NOT_APPLICABLE ? DrainStatus.NOT_DRAINED : drained)
        .peerErrorCode(termination.peerErrorCode())
        .peerReason(termination.peerReason())
        .closeInfo(java.util.Optional.ofNullable(termination.closeInfo()))
        .sessionResumable(false)
        .truncationRisk(drained != DrainStatus.DRAINED && !termination.terminated());
  }
}
