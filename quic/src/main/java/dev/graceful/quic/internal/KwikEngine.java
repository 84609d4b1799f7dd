package dev.graceful.quic.internal;

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
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import reactor.core.Disposable;
import reactor.core.scheduler.Scheduler;
import tech.kwik.core.ConnectionTerminatedEvent;
import tech.kwik.core.QuicConnection;
import tech.kwik.core.Statistics;

/**
 * SSL_shutdown_ex for one Kwik connection, confined to a selector loop; Kwik's callbacks are
 * handed to the loop. Nothing of Kwik's blocking API runs here ({@code closeAndWait} busy-waits).
 */
public final class KwikEngine implements ShutdownEngine {
  private static final System.Logger LOG = System.getLogger(KwikEngine.class.getName());

  /** How often a drain or a closing period looks at Kwik's state: it has no events for either. */
  static final Duration POLL = Duration.ofMillis(2);

  /** The share of the whole deadline a drain may use; the rest is for the closing period. */
  static final double DRAIN_SHARE = 0.75;

  /** No progress for this long with a send request said to be queued: restart anyway. */
  static final Duration STUCK = Duration.ofMillis(300);

  /**
   * Outside a shutdown, how soon a stream with data to send is looked at again for Kwik's lost
   * wakeup: a stall costs at most two looks. Writes would otherwise block for good (their buffer
   * space is freed only by the stalled sender), and data already buffered would never leave.
   */
  static final Duration SEND_WATCH = Duration.ofMillis(10);

  /**
   * The longest wait between looks at a stream that stays still after a restart (a peer's flow
   * control holds it, say): each restart that brought no progress doubles the wait up to this.
   */
  static final Duration SEND_WATCH_MAX = Duration.ofMillis(640);

  /** How long a drain waits for the last acknowledgement before it elicits one. */
  static final Duration ACK_WAIT = Duration.ofMillis(2);

  /** Kwik's default max_ack_delay (RFC 9000 §18.2 default, 25 ms), for a PTO estimate. */
  private static final int DEFAULT_MAX_ACK_DELAY_MS = 25;

  /** A stream graceful handed out, as the engine sees it. */
  public interface TrackedStream {
    /** @return the Kwik stream */
    Object kwikStream();

    /** @return true once the application reset it: its data need not be drained */
    boolean isReset();

    /** @return writes handed to Kwik that have not returned yet */
    int writesInFlight();

    /** @return true when the application acknowledges this stream's data itself */
    default boolean applicationAckExpected() {
      return false;
    }

    /** @return true once the application's acknowledgement arrived */
    default boolean applicationAcked() {
      return false;
    }
  }

  private final QuicConnection connection;
  private final Executor loop;
  private final String identity;
  private final Executor blockingCalls;
  private final List<TrackedStream> streams = new ArrayList<>();
  private final List<Runnable> waiters = new ArrayList<>(1);
  private final List<Runnable> endListeners = new ArrayList<>(1);
  // Where Kwik processes what the peer sends, when known: a client's, found here; a server-side
  // connection's, set once from Kwik's thread before any shutdown
  private volatile Thread receiveThread;
  private boolean over; // Kwik reported the end, for any reason
  private volatile ShutdownState state = ShutdownState.NONE;
  private long closeCode; // Q1, Q4: given by closeWith before the first step
  private String closeReason = "";
  private boolean localCloseStarted;
  private boolean closeInFlight;
  private boolean peerFirst;
  private boolean terminated; // the peer closed, or idle timeout, stateless reset, loss
  private OptionalLong peerErrorCode = OptionalLong.empty();
  private Optional<String> peerReason = Optional.empty();
  private boolean closingPeriodOver;
  private Disposable closingTimer;
  private Disposable pollTimer;
  private DrainStatus drain = DrainStatus.NOT_APPLICABLE;
  private boolean draining;
  private long drainDeadlineNanos = Long.MAX_VALUE;
  private Disposable drainTimer;
  private final Map<TrackedStream, Long> offsetsAtDrainStart = new HashMap<>();
  private final Map<TrackedStream, Long> lastOffsets = new HashMap<>();
  private final Map<TrackedStream, Long> stuckSince = new HashMap<>();
  private long bytesDrained;
  private long allSentSinceNanos = -1;
  private boolean pinged;
  private long kicks;
  private long connectionBytesRead;
  private final Scheduler watchTimer = reactor.core.scheduler.Schedulers.parallel();
  private Disposable sendWatch;
  // sendWatch != null, readable off the loop: a write then need not hop to the loop (and wake its
  // selector) to start a watch that is already running
  private volatile boolean watching;
  private long sendWatchNanos = SEND_WATCH.toNanos();

  /**
   * @param connection the Kwik connection, established
   * @param loop the loop that owns this engine: a serial executor every call and callback runs on
   * @param identity a name for results and errors
   * @param blockingCalls where Kwik calls that may wait for its locks run (never the loop)
   */
  public KwikEngine(QuicConnection connection, Executor loop, String identity, Executor blockingCalls) {
    this.connection = connection;
    this.loop = loop;
    this.identity = identity;
    this.blockingCalls = blockingCalls;
    this.receiveThread = KwikInternals.clientReceiveThread(connection).orElse(null);
  }

  /**
   * Hands Kwik's termination events to the loop; call once, before anything else. Kwik emits an
   * event only to the listener set at that moment, so a connection that ended before graceful got
   * it (an idle timeout, say) is recognised from its state instead, where internals are readable.
   */
  public void listen() {
    connection.setConnectionListener(
        e -> onLoop(
            () -> {
              onTerminated(e);
              ended();
            }));
    loop.execute(
        () -> {
          if (!terminated && !localCloseStarted
              && KwikInternals.state(connection).map(KwikEngine::isOver).orElse(false)) {
            markTerminated(ShutdownState.RECEIVED);
            wake();
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
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // the close will start them itself
    }
  }

  /**
   * Runs {@code r} on the loop once Kwik reports the connection over, for any reason (a local
   * close included), or at once if it already is.
   *
   * @param r the callback; loop thread
   */
  public void whenEnded(Runnable r) {
    loop.execute(
        () -> {
          if (over) {
            r.run();
          } else {
            endListeners.add(r);
          }
        });
  }

  private void ended() {
    if (over) {
      return;
    }
    over = true;
    if (sendWatch != null) {
      sendWatch.dispose();
      sendWatch = null;
      watching = false;
    }
    List<Runnable> todo = new ArrayList<>(endListeners);
    endListeners.clear();
    todo.forEach(Runnable::run);
  }

  private static boolean isOpen(String kwikState) {
    return switch (kwikState) {
      case "Created", "Handshaking", "Connected" -> true;
      default -> false;
    };
  }

  private static boolean isOver(String kwikState) {
    return switch (kwikState) {
      case "Closing", "Draining", "Closed", "Failed", "Error" -> true;
      default -> false;
    };
  }

  /**
   * @param thread the thread on which Kwik processes what a server-side connection's peer sends,
   *     as QuicServer's accept callback found it (a client's is found at construction)
   */
  public void receiveThread(Thread thread) {
    receiveThread = thread;
  }

  /** @param stream a stream handed out by graceful; loop thread */
  public void track(TrackedStream stream) {
    streams.add(stream);
  }

  /**
   * A write or a conclude began on a tracked stream: until every tracked stream has sent all it
   * was given, its progress is watched and a stream stalled by Kwik's lost wakeup is restarted,
   * as a drain does; loop thread. While a shutdown polls (a drain, a peer wait with data unsent),
   * it makes the restarts itself; a shutdown that waits without polling (a peer wait with nothing
   * unsent when it began, a non-blocking one between its calls) leaves them to the watch.
   */
  public void sending() {
    if (sendWatch == null && !over && !localCloseStarted) {
      sendWatchNanos = SEND_WATCH.toNanos();
      armSendWatch();
    }
  }

  /**
   * @return true while a send watch is armed; any thread. A write counts itself in flight first,
   *     then reads this: the watch clears it before it looks for writes in flight, so either the
   *     write sees it cleared and starts a watch, or the watch sees the write and goes on.
   */
  public boolean watching() {
    return watching;
  }

  private void armSendWatch() {
    try {
      sendWatch = watchTimer.schedule(() -> onLoop(this::watchSending), sendWatchNanos, TimeUnit.NANOSECONDS);
    } catch (java.util.concurrent.RejectedExecutionException stopped) {
      sendWatch = null; // Reactor's schedulers were shut down: the application is stopping
    }
    watching = sendWatch != null;
  }

  private void watchSending() {
    sendWatch = null;
    watching = false; // before looking for writes in flight (see watching())
    if (over || terminated || localCloseStarted || !anySending()) {
      return; // the next write starts a new watch
    }
    if (pollTimer == null) { // else a polling shutdown (a drain, a peer wait) restarts stalls itself
      long before = kicks;
      restartStalledStreams(watchTimer.now(TimeUnit.NANOSECONDS));
      sendWatchNanos = kicks == before ? SEND_WATCH.toNanos() : Math.min(2 * sendWatchNanos, SEND_WATCH_MAX.toNanos());
    }
    armSendWatch();
  }

  /** @return true when a tracked, non-reset stream has a write pending or data (or FIN) unsent */
  private boolean anySending() {
    for (TrackedStream s : streams) {
      if (!s.isReset() && s.writesInFlight() > 0) {
        return true;
      }
    }
    return anyUnsent();
  }

  /** @param n application bytes read from the peer; loop thread */
  public void bytesRead(long n) {
    connectionBytesRead += n;
  }

  /** @return how often a stalled stream was restarted (Kwik's lost wakeup) */
  public long kicks() {
    return kicks;
  }

  /** @return the Kwik connection */
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
    return state;
  }

  private void onTerminated(ConnectionTerminatedEvent e) {
    if (e.closedByPeer()) {
      // Q6, Q11: the peer's CONNECTION_CLOSE; Kwik answers it with one CONNECTION_CLOSE of its own
      // ("MAY send a single packet containing a CONNECTION_CLOSE frame before entering the
      // draining state") and drains.
      Long code = e.hasApplicationError() ? e.applicationErrorCode() : e.transportErrorCode();
      peerErrorCode = code == null ? OptionalLong.of(0) : OptionalLong.of(code);
      peerReason = Optional.of(rawReason(e));
      markTerminated(ShutdownState.SENT_AND_RECEIVED);
    } else if (e.closeReason() != ConnectionTerminatedEvent.CloseReason.ImmediateClose) {
      // Q8, Q11: idle timeout, stateless reset, connection lost: terminated for another reason.
      markTerminated(ShutdownState.RECEIVED);
    }
    wake();
  }

  private void markTerminated(ShutdownState bits) {
    if (!localCloseStarted && !state.sent()) {
      peerFirst = true;
    }
    terminated = true;
    state = state.with(bits);
  }

  /** Kwik formats "Application error: 42 (reason)"; the reason is what the peer sent. */
  static String rawReason(ConnectionTerminatedEvent e) {
    String d = e.errorDescription();
    int open = d.indexOf(" (");
    return open >= 0 && d.endsWith(")") ? d.substring(open + 2, d.length() - 1) : "";
  }

  /**
   * Q1, Q4: the application error code and reason the close carries, already checked and fitted
   * (Q2, Q3); given before the first step, whose arguments are the ones sent. Loop only.
   *
   * @param errorCode in [0, 2^62 − 1]
   * @param reason valid UTF-8 that fits one packet
   */
  public void closeWith(long errorCode, String reason) {
    closeCode = errorCode;
    closeReason = reason;
  }

  @Override
  public Step step(ShutdownRequest request) throws ShutdownException {
    ShutdownMode mode = quicMode(request.mode());
    if (!localCloseStarted) {
      if (terminated) {
        // Q7: "COMPLETE if already terminated"; Q6: the peer's close moved us to draining.
        return Step.COMPLETE;
      }
      if (mode == ShutdownMode.WAIT_PEER) {
        // Q8: wait for the peer (or another termination); implies no stream flush. A peer often
        // waits for our data (or FIN) before it closes: a stream stalled by Kwik's lost wakeup
        // would make both wait forever, so stalls are restarted here too.
        boolean unsent = anyUnsent();
        if (unsent) {
          restartStalledStreams(request.timer().now(TimeUnit.NANOSECONDS));
        }
        return awaitEvents(request.timer(), unsent);
      }
      // Q5: "wait until all data written to a stream ... has been sent and acknowledged"
      if (request.streamFlush() && drain != DrainStatus.DRAINED && drain != DrainStatus.TIMEOUT) {
        Step waiting = drainStep(request);
        if (waiting != null) {
          return waiting;
        }
      } else if (!request.streamFlush() && drain == DrainStatus.NOT_APPLICABLE) {
        drain = DrainStatus.NOT_DRAINED;
      }
      closeNow(request.timer());
    }
    if (closeInFlight) {
      return Step.WANT_READ; // Kwik's close() has not returned yet
    }
    if (mode == ShutdownMode.RAPID) {
      // Q7: one best-effort CONNECTION_CLOSE: SENT (COMPLETE only if already over).
      return closingPeriodOver || terminated ? Step.COMPLETE : Step.SENT;
    }
    // Q6 (and Q8 once a local close started: "this flag has no effect"): the closing period.
    if (closingPeriodOver || terminated || peerMovedUsToDraining()) {
      return Step.COMPLETE;
    }
    armClosingPeriod(request.timer());
    return awaitEvents(request.timer(), KwikInternals.available());
  }

  private void armClosingPeriod(Scheduler timer) {
    if (closingTimer == null) {
      long ms = 3L * pto();
      closingTimer = timer.schedule(() -> onLoop(this::closingPeriodEnds), ms, TimeUnit.MILLISECONDS);
    }
  }

  private void closingPeriodEnds() {
    closingPeriodOver = true;
    state = state.with(ShutdownState.SENT);
    wake();
  }

  /** Only Kwik's Draining state proves the peer's CONNECTION_CLOSE arrived during our closing. */
  private boolean peerMovedUsToDraining() {
    return KwikInternals.state(connection).map("Draining"::equals).orElse(false);
  }

  private static ShutdownMode quicMode(ShutdownMode asked) throws ShutdownException {
    return switch (asked) {
      case BIDIRECTIONAL, RFC -> ShutdownMode.RFC;
      case FAST, RAPID -> ShutdownMode.RAPID;
      case WAIT_PEER -> ShutdownMode.WAIT_PEER;
      case QUIET -> throw new ShutdownException(
          Reason.INVALID_ARGUMENT, "quic", ShutdownState.NONE, "QUIC has no quiet shutdown", null);
    };
  }

  private void stopDrainTimer() {
    if (drainTimer != null) {
      drainTimer.dispose();
      drainTimer = null;
    }
  }

  /**
   * Q1: the immediate close with the first shutdown's code and reason. Kwik's close() returns in
   * about a millisecond but may wait for a lock its sender thread holds (RecoveryManager), so it
   * runs off the loop; the step resumes when it returned.
   */
  private void closeNow(Scheduler timer) {
    localCloseStarted = true;
    closeInFlight = true;
    state = state.with(ShutdownState.SENT); // T1's rule for QUIC (Q11): set when sending is attempted
    long code = closeCode;
    String reason = closeReason;
    blockingCalls.execute(
            () -> {
              try {
                connection.close(code, reason);
              } finally {
                onLoop(
                    () -> {
                      closeInFlight = false;
                      // Q6/Q7: the closing period runs from the close, whoever waits for it (a
                      // rapid or non-blocking shutdown does not)
                      armClosingPeriod(timer);
                      wake();
                    });
              }
            });
  }

  /** @return null when the drain ended (DRAINED, TIMEOUT, or NOT_DRAINED without internals) */
  private Step drainStep(ShutdownRequest request) {
    Scheduler timer = request.timer();
    long now = timer.now(TimeUnit.NANOSECONDS);
    if (!draining) {
      draining = true;
      if (!KwikInternals.available() && !everyStreamAckedByApplication()) {
        drain = DrainStatus.NOT_DRAINED; // documented fallback: nothing to observe acknowledgements with
        return null;
      }
      long budget = request.deadline().map(d -> (long) (d.toNanos() * DRAIN_SHARE)).orElse(Long.MAX_VALUE);
      drainDeadlineNanos = budget == Long.MAX_VALUE ? Long.MAX_VALUE : now + budget;
      if (budget != Long.MAX_VALUE) {
        // on time, not at the next poll
        drainTimer = timer.schedule(() -> onLoop(this::wake), budget, TimeUnit.NANOSECONDS);
      }
      for (TrackedStream s : streams) {
        KwikInternals.progress(s.kwikStream()).ifPresent(p -> offsetsAtDrainStart.put(s, p.offset()));
      }
      // the send watch looked with its own clock; the drain looks afresh with the shutdown's
      lastOffsets.clear();
      stuckSince.clear();
    }
    if (drained()) {
      drain = DrainStatus.DRAINED;
      stopDrainTimer();
      countDrained();
      return null;
    }
    if (deaf()) {
      // Nothing from the peer is processed any more: no acknowledgement can end the drain.
      drain = DrainStatus.NOT_DRAINED;
      stopDrainTimer();
      countDrained();
      return null;
    }
    if (now >= drainDeadlineNanos) {
      drain = DrainStatus.TIMEOUT;
      stopDrainTimer();
      countDrained();
      return null;
    }
    restartStalledStreams(now);
    elicitLastAck(now);
    return awaitEvents(timer, true);
  }

  /**
   * @return true when the connection is open but its receive thread has ended (Kwik's own
   *     state still open: a termination ends that thread too, and is reported as such)
   */
  private boolean deaf() {
    Thread receiver = receiveThread;
    if (receiver == null || receiver.isAlive()
        || !KwikInternals.state(connection).map(KwikEngine::isOpen).orElse(false)) {
      return false;
    }
    String warning =
        identity + ": Kwik's receive thread ended while the connection is open; it hears nothing"
            + " from the peer, so the drain ends as NOT_DRAINED. (Kwik 0.10.9 under -ea ends it on"
            + " loopback: an assertion in LossDetector; see docs/quic.md.)";
    try {
      // not on the loop: a logger's handler may write to a file or a console, and block
      blockingCalls.execute(() -> LOG.log(System.Logger.Level.WARNING, warning));
    } catch (java.util.concurrent.RejectedExecutionException stopping) {
      // the application is stopping; the result says NOT_DRAINED all the same
    }
    return true;
  }

  /** Every tracked, non-reset stream expects the application's acknowledgement. */
  private boolean everyStreamAckedByApplication() {
    return streams.stream().allMatch(s -> s.isReset() || s.applicationAckExpected());
  }

  /**
   * Every tracked, non-reset stream sent everything, and nothing is unacknowledged; a stream the
   * application acknowledges itself is drained when its acknowledgement arrived.
   */
  private boolean drained() {
    for (TrackedStream s : streams) {
      if (!s.isReset() && s.applicationAckExpected() && (s.writesInFlight() > 0 || !s.applicationAcked())) {
        return false; // (a write not yet returned would fail under the close)
      }
    }
    return everythingSent()
        && (everyStreamAckedByApplication() || KwikInternals.bytesInFlight(connection).orElse(1) == 0);
  }

  /** Something a drain waits for happened outside Kwik (an application acknowledgement); loop thread. */
  public void poke() {
    wake();
  }

  private void countDrained() {
    long sum = 0;
    for (TrackedStream s : streams) {
      if (s.isReset()) {
        continue;
      }
      long start = offsetsAtDrainStart.getOrDefault(s, 0L);
      long end = KwikInternals.progress(s.kwikStream()).map(KwikInternals.StreamProgress::offset).orElse(start);
      sum += Math.max(0, end - start);
    }
    bytesDrained = sum;
  }

  /**
   * Everything was sent and only acknowledgements are missing: after a moment (an immediate
   * acknowledgement would have come within the RTT), one PING makes the peer acknowledge at once
   * instead of after its max_ack_delay (a 20–25 ms tail on every drain otherwise).
   */
  private void elicitLastAck(long now) {
    if (pinged || !everythingSent()) {
      allSentSinceNanos = -1;
      return;
    }
    if (allSentSinceNanos < 0) {
      allSentSinceNanos = now;
      return;
    }
    long wait = Math.max(ACK_WAIT.toNanos(), TimeUnit.MILLISECONDS.toNanos(connection.getStats().smoothedRtt()));
    if (now - allSentSinceNanos >= wait) {
      pinged = true;
      blockingCalls.execute(() -> KwikInternals.elicitAck(connection));
    }
  }

  /**
   * @return true when every tracked stream that is neither reset nor acknowledged by the
   *     application has no write pending and nothing left to send
   */
  private boolean everythingSent() {
    for (TrackedStream s : streams) {
      if (s.isReset() || s.applicationAckExpected()) {
        continue;
      }
      if (s.writesInFlight() > 0) {
        return false;
      }
      Optional<KwikInternals.StreamProgress> p = KwikInternals.progress(s.kwikStream());
      if (p.isEmpty() || !p.get().allSent()) {
        return false;
      }
    }
    return true;
  }

  /** @return true when a tracked, non-reset stream still has data (or its FIN) to send */
  private boolean anyUnsent() {
    for (TrackedStream s : streams) {
      if (!s.isReset() && KwikInternals.progress(s.kwikStream()).map(KwikInternals.StreamProgress::unsent).orElse(false)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Restarts streams stalled by Kwik's lost wakeup: unsent data, no queued send request and no
   * progress since the last look (or a queued request claimed, but no progress for {@link
   * #STUCK}). A write may well be in flight: a stalled stream's writer is blocked on buffer space
   * that only the stalled sender would free.
   */
  private void restartStalledStreams(long now) {
    for (TrackedStream s : streams) {
      if (s.isReset()) {
        continue;
      }
      Optional<KwikInternals.StreamProgress> p = KwikInternals.progress(s.kwikStream());
      if (p.isEmpty()) {
        continue;
      }
      long offset = p.get().offset();
      Long last = lastOffsets.put(s, offset);
      if (last == null || last != offset) {
        stuckSince.put(s, now);
        continue;
      }
      if (!p.get().unsent()) {
        continue;
      }
      Object stream = s.kwikStream();
      if (p.get().queuedRequests() <= 0) {
        // No request queued and no progress since the last look: the lost wakeup.
        kicks++; // queuing a send request may take the sender's lock: off the loop
        blockingCalls.execute(() -> KwikInternals.kick(stream, false));
      } else if (now - stuckSince.getOrDefault(s, now) >= STUCK.toNanos()) {
        // The counter claims a queued request, yet nothing moved for a long while: the request
        // was lost too. (Forcing at every look made things worse in measurements; only this late.)
        stuckSince.put(s, now);
        kicks++;
        blockingCalls.execute(() -> KwikInternals.kick(stream, true));
      }
    }
  }

  /** Waits for a Kwik event; with {@code poll}, also looks again after {@link #POLL}. */
  private Step awaitEvents(Scheduler timer, boolean poll) {
    if (poll && pollTimer == null) {
      pollTimer =
          timer.schedule(
              () -> onLoop(() -> {
                pollTimer = null;
                wake();
              }),
              POLL.toNanos(),
              TimeUnit.NANOSECONDS);
    }
    return Step.WANT_READ;
  }

  private int pto() {
    return KwikInternals.pto(connection).orElseGet(this::estimatedPto);
  }

  /** RFC 9002 §6.2.1: PTO = smoothed_rtt + max(4 × rttvar, kGranularity) + max_ack_delay. */
  private int estimatedPto() {
    Statistics s = connection.getStats();
    return s.smoothedRtt() + Math.max(4 * s.rttVar(), 1) + DEFAULT_MAX_ACK_DELAY_MS;
  }

  /**
   * Hands work from a timer or a Kwik thread to the loop; a loop already shut down (its
   * application is stopping) has nobody left to tell, so the work is dropped, not thrown at the
   * timer's thread.
   */
  private void onLoop(Runnable r) {
    try {
      loop.execute(r);
    } catch (java.util.concurrent.RejectedExecutionException stopped) {
      // nothing waits any more
    }
  }

  private void wake() {
    if (waiters.isEmpty()) {
      return;
    }
    List<Runnable> w = List.copyOf(waiters);
    waiters.clear();
    w.forEach(Runnable::run);
  }

  @Override
  public void awaitReadiness(Step want, Runnable onReady) {
    if (!waiters.contains(onReady)) {
      waiters.add(onReady);
    }
  }

  @Override
  public void cancelReadiness(Runnable onReady) {
    waiters.remove(onReady);
    if (waiters.isEmpty() && pollTimer != null) {
      pollTimer.dispose();
      pollTimer = null;
    }
  }

  @Override
  public void closeTransport() {
    // QUIC's "transport" is the connection's UDP socket, owned by Kwik: it goes with the close.
  }

  @Override
  public ShutdownResult.Builder describe() {
    return ShutdownResult.builder(identity)
        .protocol("QUIC")
        .state(state)
        .initiator(peerFirst ? Initiator.PEER : Initiator.LOCAL)
        .connectionBytesRead(connectionBytesRead)
        .bytesDrained(bytesDrained)
        .drained(drain == DrainStatus.NOT_APPLICABLE ? DrainStatus.NOT_DRAINED : drain)
        .peerErrorCode(peerErrorCode)
        .peerReason(peerReason)
        .sessionResumable(false)
        .truncationRisk(drain != DrainStatus.DRAINED && !terminated);
  }
}
