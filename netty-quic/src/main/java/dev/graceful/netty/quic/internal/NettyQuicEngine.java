package dev.graceful.netty.quic.internal;

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
import dev.graceful.quic.QuicCloseArguments;
import dev.graceful.quic.QuicShutdown;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicConnectionCloseEvent;
import io.netty.handler.codec.quic.QuicConnectionPathStats;
import io.netty.handler.codec.quic.QuicConnectionStats;
import io.netty.util.concurrent.Future;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import reactor.core.Disposable;
import reactor.core.scheduler.Scheduler;

/**
 * SSL_shutdown_ex for one Netty {@link QuicChannel}, confined to the channel's event loop. The
 * codec's own events (the peer's CONNECTION_CLOSE, the channel's close, an idle timeout) reach it
 * through a handler at the end of the channel's pipeline; what the codec has no event for (a
 * drain's progress) is polled on the request's timer.
 *
 * <p>Netty's close sends one CONNECTION_CLOSE and frees quiche's connection at once: there is no
 * closing period in the codec. An RFC shutdown therefore times the closing period itself (3×PTO
 * from the path's RTT) before it answers {@code COMPLETE}; packets the peer sends meanwhile are not
 * answered.
 */
public final class NettyQuicEngine implements ShutdownEngine {
  /** The largest application error code Netty's {@code QuicChannel.close} carries (an int). */
  public static final long MAX_NETTY_CODE = Integer.MAX_VALUE;

  /** How often a drain looks at the streams: the codec has no event for acknowledgements. */
  static final Duration POLL = Duration.ofMillis(2);

  /** RFC 9000 §18.2's default max_ack_delay, for a PTO estimate. */
  private static final long MAX_ACK_DELAY_NANOS = TimeUnit.MILLISECONDS.toNanos(25);

  /** A drain uses at most this share of the shutdown's deadline; the rest is left for the close. */
  private static final double DRAIN_SHARE = 0.75;

  /** A stream graceful handed out, as the engine sees it. */
  public interface TrackedStream {
    /**
     * @return the stream's id
     */
    long streamId();

    /**
     * @return true once the application reset it: its data need not be drained
     */
    boolean isReset();

    /**
     * @return true once its FIN was handed to the codec
     */
    boolean concluded();

    /**
     * @return writes handed to Netty that quiche has not taken yet
     */
    int writesPending();

    /**
     * @return true once a write failed (and the stream was not reset): bytes the peer will never
     *     get, so its drain is never proven
     */
    default boolean writeFailed() {
      return false;
    }

    /**
     * @return bytes written through the handle
     */
    long bytesWritten();

    /**
     * @return true when the application acknowledges this stream's data itself
     */
    boolean applicationAckExpected();

    /**
     * @return true once the application's acknowledgement arrived
     */
    boolean applicationAcked();
  }

  private final QuicChannel channel;
  private final String identity;
  private final List<TrackedStream> streams = new ArrayList<>();
  private final List<Runnable> waiters = new ArrayList<>(1);
  private final List<Runnable> endListeners = new ArrayList<>(1);
  private volatile ShutdownState state = ShutdownState.NONE;
  private long closeCode;
  private String closeReason = "";
  private boolean closeGiven;
  private boolean localCloseStarted;
  private boolean closingPeriodOver;
  private @Nullable Disposable closingTimer;
  private @Nullable Disposable pollTimer;
  private boolean over;
  private boolean terminated;
  private boolean peerFirst;
  private @Nullable QuicConnectionCloseEvent peerClose;
  private @Nullable CloseInfo closeInfo;
  private DrainStatus drain = DrainStatus.NOT_APPLICABLE;
  private long drainEndsAt = Long.MIN_VALUE;
  private long bytesDrained;
  private volatile long connectionBytesRead; // written on the event loop only
  private long pto = -1;
  private boolean closeUnsent;
  private static final System.Logger LOG = System.getLogger(NettyQuicEngine.class.getName());

  /**
   * @param channel an active QUIC connection
   * @param identity a name for results and errors
   */
  public NettyQuicEngine(QuicChannel channel, String identity) {
    this.channel = channel;
    this.identity = identity;
  }

  /**
   * Installs the handler that hears the codec's events and watches the channel's close; once,
   * before anything else.
   */
  public void listen() {
    channel.pipeline().addLast("graceful-quic-close", new CloseWatch());
    channel.closeFuture().addListener(f -> onLoop(this::channelClosed));
    onLoop(
        () -> {
          if (!channel.isOpen()) {
            channelClosed();
          }
        });
  }

  private final class CloseWatch extends ChannelInboundHandlerAdapter {
    @Override
    public boolean isSharable() {
      return false;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
      if (evt instanceof QuicConnectionCloseEvent e) {
        peerClose = e; // the peer's CONNECTION_CLOSE; the channel closes next
      }
      super.userEventTriggered(ctx, evt);
    }
  }

  private void channelClosed() {
    if (over) {
      return;
    }
    over = true;
    try {
      recordEnding();
    } finally {
      // whatever the codec reported, nobody waits past the end
      wake();
      List<Runnable> todo = new ArrayList<>(endListeners);
      endListeners.clear();
      todo.forEach(Runnable::run);
    }
  }

  /** Q11, Q12: how the connection ended, when our close did not end it. */
  private void recordEnding() {
    if (!localCloseStarted) {
      QuicConnectionCloseEvent e = peerClose;
      if (e != null) {
        // Q6, Q11, Q12: the peer's CONNECTION_CLOSE; quiche drains without answering it
        closeInfo =
            new CloseInfo(
                Integer.toUnsignedLong(e.error()), 0, reason(e), !e.isApplicationClose(), false);
        markTerminated(ShutdownState.RECEIVED);
      } else if (channel.isTimedOut()) {
        // Q8, Q12: quiche's idle timer ended it: no CONNECTION_CLOSE either way (RFC 9000 §10.1)
        closeInfo = CloseInfo.transport(0, 0, "idle timeout", true);
        markTerminated(ShutdownState.RECEIVED);
      } else {
        // closed past graceful (the application's own channel.close(), the codec's end): Netty
        // sends a transport CONNECTION_CLOSE with NO_ERROR when it still can
        closeInfo = CloseInfo.transport(0, 0, "", true);
        markTerminated(ShutdownState.SENT_AND_RECEIVED);
      }
    }
  }

  /**
   * The peer's reason. Netty holds none for an empty one, and its {@code reason()} then throws (it
   * clones a null array): that is an empty reason.
   */
  private static String reason(QuicConnectionCloseEvent e) {
    try {
      byte[] r = e.reason();
      return r == null ? "" : new String(r, StandardCharsets.UTF_8);
    } catch (NullPointerException noReason) {
      return "";
    }
  }

  private void markTerminated(ShutdownState bits) {
    if (!localCloseStarted && !state.sent()) {
      peerFirst = true;
    }
    terminated = true;
    state = state.with(bits);
  }

  /**
   * @param r runs on the loop once the connection is over, for any reason, or at once if it is
   */
  public void whenEnded(Runnable r) {
    onLoop(
        () -> {
          if (over) {
            r.run();
          } else {
            endListeners.add(r);
          }
        });
  }

  /**
   * @param stream a stream handed out by graceful; loop thread
   */
  public void track(TrackedStream stream) {
    streams.add(stream);
  }

  /**
   * @param n application bytes read from the peer; loop thread
   */
  public void bytesRead(long n) {
    connectionBytesRead += n;
  }

  /** Something a drain waits for happened (a write taken, an application acknowledgement). */
  public void poke() {
    onLoop(this::wake);
  }

  /**
   * @return the channel
   */
  public QuicChannel channel() {
    return channel;
  }

  @Override
  public String connectionId() {
    return identity;
  }

  @Override
  public String protocolFamily() {
    return "QUIC";
  }

  @Override
  public Executor executor() {
    return channel.eventLoop();
  }

  @Override
  public ShutdownState state() {
    return state;
  }

  @Override
  public boolean noBlock(ShutdownRequest request) {
    return quic(request).isNoBlock();
  }

  private static QuicShutdown quic(ShutdownRequest request) {
    return request.option(QuicShutdown.class).orElse(QuicShutdown.defaults());
  }

  @Override
  public Step step(ShutdownRequest request) throws ShutdownException {
    ShutdownMode mode = quicMode(request.mode());
    if (!closeGiven) {
      // Q2, Q4: the first shutdown accepted fixes the arguments sent; a refused one fixes nothing
      QuicCloseArguments close = quic(request).checkedClose(identity);
      if (close.errorCode() > MAX_NETTY_CODE) {
        throw new ShutdownException(
            Reason.INVALID_ARGUMENT,
            identity,
            state,
            "Netty's QUIC codec carries application error codes up to 2^31-1, not "
                + close.errorCode()
                + "; nothing was sent",
            null);
      }
      closeCode = close.errorCode();
      closeReason = close.reason();
      closeGiven = true;
    }
    if (!localCloseStarted) {
      if (terminated) {
        return Step.COMPLETE; // Q7: "COMPLETE if already terminated"; Q6, Q8: the peer ended it
      }
      if (mode == ShutdownMode.WAIT_PEER) {
        return Step.WANT_READ; // Q8: no drainage; the channel's close wakes us
      }
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
    if (mode == ShutdownMode.RAPID) {
      return closingPeriodOver || terminated ? Step.COMPLETE : Step.SENT; // Q7
    }
    if (closingPeriodOver || terminated) {
      return Step.COMPLETE; // Q6
    }
    armClosingPeriod(request.timer());
    return Step.WANT_READ;
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
   * Q5: every tracked stream not reset has had its writes taken by quiche and is acknowledged:
   * released by quiche (its data and FIN acknowledged) or acknowledged by the application.
   *
   * @return null when the drain is over (drained, not drainable, or out of time)
   */
  private @Nullable Step drainStep(ShutdownRequest request) {
    long now = request.timer().now(TimeUnit.NANOSECONDS);
    if (drain == DrainStatus.NOT_APPLICABLE) {
      drainEndsAt =
          request
              .deadline()
              .map(d -> now + (long) (d.toNanos() * DRAIN_SHARE))
              .orElse(Long.MAX_VALUE);
    }
    long acked = 0;
    boolean pending = false;
    boolean unprovable = false;
    for (TrackedStream s : streams) {
      if (s.isReset()) {
        continue;
      }
      if (s.writeFailed()) {
        unprovable = true;
        continue;
      }
      if (s.applicationAckExpected()) {
        if (s.applicationAcked()) {
          acked += s.bytesWritten();
        } else {
          pending = true;
        }
        continue;
      }
      if (s.writesPending() > 0) {
        pending = true;
        continue;
      }
      if (!s.concluded()) {
        if (s.bytesWritten() > 0) {
          unprovable = true; // quiche says nothing of a stream's acknowledgements before its FIN
        }
        continue;
      }
      Optional<Boolean> released =
          channel.isActive()
              ? NettyQuicInternals.released(channel, s.streamId())
              : Optional.empty();
      if (released.isEmpty()) {
        unprovable = true;
      } else if (released.get()) {
        acked += s.bytesWritten();
      } else {
        pending = true;
      }
    }
    bytesDrained = acked;
    if (!pending) {
      drain = unprovable ? DrainStatus.NOT_DRAINED : DrainStatus.DRAINED;
      return null;
    }
    if (now >= drainEndsAt) {
      drain = DrainStatus.TIMEOUT;
      return null;
    }
    drain = DrainStatus.NOT_DRAINED; // started, not over
    poll(request.timer());
    return Step.WANT_READ;
  }

  private void poll(Scheduler timer) {
    if (pollTimer == null) {
      pollTimer =
          timer.schedule(
              () ->
                  onLoop(
                      () -> {
                        pollTimer = null;
                        wake();
                      }),
              POLL.toNanos(),
              TimeUnit.NANOSECONDS);
    }
  }

  /** Q1, Q11: the application CONNECTION_CLOSE, sent at once on the loop. */
  private void closeNow(Scheduler timer) {
    localCloseStarted = true;
    state = state.with(ShutdownState.SENT); // set when sending is attempted (T1's rule)
    closeInfo = CloseInfo.application(closeCode, closeReason, true);
    if (!channel.isActive()) {
      return;
    }
    pto = pto();
    long before = packetsSent();
    byte[] reason = closeReason.getBytes(StandardCharsets.UTF_8);
    channel.close(true, (int) closeCode, Unpooled.wrappedBuffer(reason));
    long after = packetsSent(); // Netty keeps the statistics of the close's last send
    if (before >= 0 && after >= 0 && after <= before) {
      // quiche had no room in its congestion window for the packet, and Netty frees the
      // connection at once: no closing period will send it later
      closeUnsent = true;
      LOG.log(
          System.Logger.Level.WARNING,
          identity
              + ": Netty's QUIC codec sent no CONNECTION_CLOSE (its congestion window was full of"
              + " undrained stream data); the peer learns of the end by its idle timeout");
    }
    armClosingPeriod(timer); // Q6/Q7: it runs from the close, whoever waits for it
  }

  private long packetsSent() {
    try {
      QuicConnectionStats s = channel.collectStats().getNow();
      return s == null ? -1 : s.sent();
    } catch (RuntimeException unavailable) {
      return -1;
    }
  }

  /**
   * @return true when the codec sent no CONNECTION_CLOSE for our close (its congestion window was
   *     full); loop thread
   */
  public boolean closeUnsent() {
    return closeUnsent;
  }

  private void armClosingPeriod(Scheduler timer) {
    if (closingTimer == null) {
      long nanos = 3 * (pto > 0 ? pto : MAX_ACK_DELAY_NANOS);
      closingTimer =
          timer.schedule(
              () ->
                  onLoop(
                      () -> {
                        closingPeriodOver = true;
                        wake();
                      }),
              nanos,
              TimeUnit.NANOSECONDS);
    }
  }

  /**
   * RFC 9002 §6.2.1, PTO = smoothed_rtt + max(4 × rttvar, 1 ms) + max_ack_delay, rttvar ≈ rtt/2.
   */
  private long pto() {
    try {
      Future<QuicConnectionPathStats> f = channel.collectPathStats(0);
      QuicConnectionPathStats s = f.getNow();
      if (s != null) {
        long rtt = s.rtt();
        return rtt + Math.max(2 * rtt, TimeUnit.MILLISECONDS.toNanos(1)) + MAX_ACK_DELAY_NANOS;
      }
    } catch (RuntimeException unavailable) {
      // the estimate below
    }
    return TimeUnit.MILLISECONDS.toNanos(1) + MAX_ACK_DELAY_NANOS;
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

  private void wake() {
    if (waiters.isEmpty()) {
      return;
    }
    List<Runnable> w = List.copyOf(waiters);
    waiters.clear();
    w.forEach(Runnable::run);
  }

  private void onLoop(Runnable r) {
    try {
      channel.eventLoop().execute(r);
    } catch (RejectedExecutionException stopped) {
      // the event loop is shutting down: nobody is left to tell
    }
  }

  @Override
  public void closeTransport() {
    // QUIC's transport is the UDP channel the codec shares between connections: never closed here
  }

  @Override
  public ShutdownResult.Builder describe() {
    QuicConnectionCloseEvent e = peerClose;
    DrainStatus drained = drain;
    return ShutdownResult.builder(identity)
        .protocol("QUIC")
        .state(state)
        .initiator(peerFirst ? Initiator.PEER : Initiator.LOCAL)
        .connectionBytesRead(connectionBytesRead)
        .bytesDrained(bytesDrained)
        .drained(drained == DrainStatus.NOT_APPLICABLE ? DrainStatus.NOT_DRAINED : drained)
        .peerErrorCode(
            e == null ? OptionalLong.empty() : OptionalLong.of(Integer.toUnsignedLong(e.error())))
        .peerReason(e == null ? Optional.empty() : Optional.of(reason(e)))
        .closeInfo(Optional.ofNullable(closeInfo))
        .sessionResumable(false)
        .truncationRisk(drained != DrainStatus.DRAINED && !terminated);
  }

  @Override
  public long connectionBytesRead() {
    return connectionBytesRead;
  }

  /** Q12: how the connection was closed, for an error to carry (a shutdown's deadline). */
  @Override
  public @Nullable CloseInfo closeInfo() {
    return closeInfo;
  }
}
