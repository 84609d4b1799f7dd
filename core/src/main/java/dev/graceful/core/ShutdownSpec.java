package dev.graceful.core;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.util.context.ContextView;

/**
 * An immutable shutdown policy. Each operator returns a new spec, so one spec serves thousands of
 * connections; contradictory compositions fail at once with an {@link IllegalArgumentException}.
 *
 * <pre>{@code
 * ShutdownSpec policy = ShutdownSpec.bidirectional()
 *     .timeout(Duration.ofSeconds(5))
 *     .readInto(buf -> bytes.add(buf.remaining()))
 *     .closeTransport(TransportPolicy.CLOSE);
 * Mono<ShutdownResult> done = policy.shutdown(connection);
 * }</pre>
 *
 * <p>Cancellation of the returned Mono, by scenario:
 *
 * <table>
 *   <caption>Cancellation</caption>
 *   <tr><th>scenario</th><th>effect</th></tr>
 *   <tr><td>cancel before subscription</td><td>nothing was sent, nothing happens</td></tr>
 *   <tr><td>cancel while waiting for the peer</td><td>interest is withdrawn from the loop; state
 *       stays as it is (SENT stays SENT); the transport is closed only under {@link
 *       TransportPolicy#CLOSE} or {@link TransportPolicy#CLOSE_ON_ABORT}</td></tr>
 *   <tr><td>one of several subscribers cancels</td><td>the others keep the exchange running</td></tr>
 *   <tr><td>the timeout fires</td><td>as a cancel, then the Mono errors with {@link
 *       ShutdownException.Reason#TIMEOUT}</td></tr>
 * </table>
 */
public final class ShutdownSpec {
  /** The default deadline for the whole shutdown. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

  private static final ShutdownSpec BIDIRECTIONAL =
      new ShutdownSpec(
          ShutdownMode.BIDIRECTIONAL,
          false,
          DEFAULT_TIMEOUT,
          false,
          Inbound.refuse(),
          false,
          TransportPolicy.KEEP_OPEN,
          null,
          false,
          true,
          List.of());

  private final ShutdownMode mode;
  private final boolean modeChosen;
  private final Duration timeout; // null: no deadline
  private final Optional<Duration> timeoutView; // one per spec, not one per shutdown that reads it
  private final boolean ignoreUnexpectedEof;
  private final Inbound inbound;
  private final boolean inboundChosen;
  private final TransportPolicy transport;
  private final Scheduler scheduler; // null: Schedulers.parallel(), looked up at subscription
  private final boolean settle;
  private final boolean streamFlush;
  private final List<ProtocolOption> options; // at most one of each class

  private ShutdownSpec(
      ShutdownMode mode,
      boolean modeChosen,
      Duration timeout,
      boolean ignoreUnexpectedEof,
      Inbound inbound,
      boolean inboundChosen,
      TransportPolicy transport,
      Scheduler scheduler,
      boolean settle,
      boolean streamFlush,
      List<ProtocolOption> options) {
    this.mode = mode;
    this.settle = settle;
    this.streamFlush = streamFlush;
    this.options = options;
    this.modeChosen = modeChosen;
    this.timeout = timeout;
    this.timeoutView = Optional.ofNullable(timeout);
    this.ignoreUnexpectedEof = ignoreUnexpectedEof;
    this.inbound = inbound;
    this.inboundChosen = inboundChosen;
    this.transport = transport;
    this.scheduler = scheduler;
  }

  /**
   * @return the default policy: send our close, wait for the peer's, 10 s deadline
   */
  public static ShutdownSpec bidirectional() {
    return BIDIRECTIONAL;
  }

  /**
   * @param mode a mode
   * @return the default policy with {@code mode} chosen
   */
  public static ShutdownSpec of(ShutdownMode mode) {
    return BIDIRECTIONAL.withMode(mode);
  }

  /**
   * @return this policy sending our close without waiting for the peer's (T6)
   */
  public ShutdownSpec fast() {
    return withMode(ShutdownMode.FAST);
  }

  /**
   * @return this policy sending nothing and marking both directions closed (T7)
   */
  public ShutdownSpec quiet() {
    return withMode(ShutdownMode.QUIET);
  }

  /**
   * @return this policy waiting for the peer to close first, then answering
   */
  public ShutdownSpec waitPeer() {
    return withMode(ShutdownMode.WAIT_PEER);
  }

  /**
   * @param deadline bounds the whole shutdown; positive
   * @return this policy with that deadline
   */
  public ShutdownSpec timeout(Duration deadline) {
    Objects.requireNonNull(deadline, "deadline");
    if (deadline.isNegative() || deadline.isZero()) {
      throw new IllegalArgumentException("timeout must be positive: " + deadline);
    }
    return new ShutdownSpec(
        mode,
        modeChosen,
        deadline,
        ignoreUnexpectedEof,
        inbound,
        inboundChosen,
        transport,
        scheduler,
        settle,
        streamFlush,
        options);
  }

  /**
   * Removes the deadline. A TLS peer that never answers then keeps the shutdown pending until it is
   * cancelled: use it only when something else bounds the wait.
   *
   * @return this policy without a deadline
   */
  public ShutdownSpec noTimeout() {
    if (settle) {
      throw new IllegalArgumentException("noTimeout contradicts settleAtDeadline");
    }
    return new ShutdownSpec(
        mode,
        modeChosen,
        null,
        ignoreUnexpectedEof,
        inbound,
        inboundChosen,
        transport,
        scheduler,
        settle,
        streamFlush,
        options);
  }

  /**
   * At the deadline, if our close was sent, end with outcome {@link Outcome#SENT} and {@link
   * ShutdownResult#deadlineReached()} instead of a {@code TIMEOUT} error: the expected ending where
   * the peer's close can be lost (DTLS, T14) or where stragglers are forced (G4). Before our close
   * went out the deadline is still a {@code TIMEOUT} error.
   *
   * @return this policy settling at the deadline
   */
  public ShutdownSpec settleAtDeadline() {
    if (timeout == null) {
      throw new IllegalArgumentException(
          "settleAtDeadline needs a deadline; this policy has noTimeout()");
    }
    return new ShutdownSpec(
        mode,
        modeChosen,
        timeout,
        ignoreUnexpectedEof,
        inbound,
        inboundChosen,
        transport,
        scheduler,
        true,
        streamFlush,
        options);
  }

  /**
   * @return whether the deadline settles as SENT once our close went out
   */
  public boolean settlesAtDeadline() {
    return settle;
  }

  /**
   * Accept a transport EOF without close_notify as the peer's close (SSL_OP_IGNORE_UNEXPECTED_EOF,
   * T8). The result then says the EOF was unauthenticated.
   *
   * @return this policy ignoring unexpected EOF
   */
  public ShutdownSpec ignoreUnexpectedEof() {
    return new ShutdownSpec(
        mode,
        modeChosen,
        timeout,
        true,
        inbound,
        inboundChosen,
        transport,
        scheduler,
        settle,
        streamFlush,
        options);
  }

  /**
   * Hands application data read while waiting to {@code consumer} (T5).
   *
   * @param consumer receives each chunk on the loop thread; the buffer is valid only during the
   *     call
   * @return this policy delivering data
   */
  public ShutdownSpec readInto(Consumer<? super ByteBuffer> consumer) {
    return withInbound(Inbound.deliverTo(consumer));
  }

  /**
   * As {@link #readInto(Consumer)}, also handing the consumer the {@code Context} of the subscriber
   * that started the shutdown (T5, R1): {@code policy.readIntoContextual((buf, ctx) ->
   * log(ctx.get("request-id"), buf)).shutdown(c).contextWrite(Context.of("request-id", id))}.
   *
   * @param consumer receives each chunk and the subscriber's context on the loop thread; the buffer
   *     is valid only during the call
   * @return this policy delivering data
   */
  public ShutdownSpec readIntoContextual(
      BiConsumer<? super ByteBuffer, ? super ContextView> consumer) {
    return withInbound(Inbound.deliverContextual(consumer));
  }

  /**
   * @return this policy counting and dropping data read while waiting: the caller's choice
   */
  public ShutdownSpec discardUnread() {
    return withInbound(Inbound.discard());
  }

  /**
   * @param policy what to do with the transport when the shutdown ends
   * @return this policy with that transport policy
   */
  public ShutdownSpec closeTransport(TransportPolicy policy) {
    Objects.requireNonNull(policy, "policy");
    return new ShutdownSpec(
        mode,
        modeChosen,
        timeout,
        ignoreUnexpectedEof,
        inbound,
        inboundChosen,
        policy,
        scheduler,
        settle,
        streamFlush,
        options);
  }

  /**
   * @param timer the scheduler every deadline runs on (R3); a {@code VirtualTimeScheduler} in tests
   * @return this policy with that scheduler
   */
  public ShutdownSpec scheduler(Scheduler timer) {
    Objects.requireNonNull(timer, "timer");
    return new ShutdownSpec(
        mode,
        modeChosen,
        timeout,
        ignoreUnexpectedEof,
        inbound,
        inboundChosen,
        transport,
        timer,
        settle,
        streamFlush,
        options);
  }

  /**
   * Applies a reusable composition of operators.
   *
   * @param operator for example {@code s -> s.fast().timeout(ofSeconds(1))}
   * @return the composed policy
   */
  public ShutdownSpec apply(UnaryOperator<ShutdownSpec> operator) {
    return Objects.requireNonNull(operator.apply(this), "operator returned null");
  }

  /**
   * @param connection what to shut down
   * @return the cold shutdown of {@code connection} under this policy
   */
  public Mono<ShutdownResult> shutdown(Shutdownable connection) {
    return connection.shutdown(this);
  }

  /**
   * An option one protocol defines and reads, which other protocols ignore: QUIC's {@code
   * QuicShutdown} (the application error code and reason of its close, SSL_shutdown_ex's extended
   * arguments), for example. A spec holds at most one option of each class.
   */
  public interface ProtocolOption {}

  /**
   * @param option an option of one protocol; replaces an option of the same class given before
   * @return this policy with that option
   */
  public ShutdownSpec with(ProtocolOption option) {
    Objects.requireNonNull(option, "option");
    List<ProtocolOption> next = new ArrayList<>(options.size() + 1);
    for (ProtocolOption o : options) {
      if (o.getClass() != option.getClass()) {
        next.add(o);
      }
    }
    next.add(option);
    return new ShutdownSpec(
        mode,
        modeChosen,
        timeout,
        ignoreUnexpectedEof,
        inbound,
        inboundChosen,
        transport,
        scheduler,
        settle,
        streamFlush,
        List.copyOf(next));
  }

  /**
   * @param type an option's class
   * @param <T> the option's type
   * @return the option of that type given by {@link #with}, if any
   */
  public <T extends ProtocolOption> Optional<T> option(Class<T> type) {
    Objects.requireNonNull(type, "type");
    for (ProtocolOption o : options) {
      if (type.isInstance(o)) {
        return Optional.of(type.cast(o));
      }
    }
    return Optional.empty();
  }

  /**
   * @return the protocol options given by {@link #with}, in that order
   */
  public List<ProtocolOption> options() {
    return options;
  }

  /**
   * @return this policy closing QUIC with an immediate close serviced through its closing period
   */
  public ShutdownSpec rfc() {
    return withMode(ShutdownMode.RFC);
  }

  /**
   * @return this policy closing QUIC with one best-effort CONNECTION_CLOSE
   *     (SSL_SHUTDOWN_FLAG_RAPID)
   */
  public ShutdownSpec rapid() {
    return withMode(ShutdownMode.RAPID);
  }

  /**
   * Closes QUIC without draining streams first (SSL_SHUTDOWN_FLAG_NO_STREAM_FLUSH); other protocols
   * have no streams to drain and ignore it.
   *
   * @return this policy not draining streams before a QUIC close
   */
  public ShutdownSpec noStreamFlush() {
    return new ShutdownSpec(
        mode,
        modeChosen,
        timeout,
        ignoreUnexpectedEof,
        inbound,
        inboundChosen,
        transport,
        scheduler,
        settle,
        false,
        options);
  }

  /**
   * @return whether QUIC drains its streams before closing (the default)
   */
  public boolean flushesStreams() {
    return streamFlush;
  }

  /**
   * @return the mode
   */
  public ShutdownMode mode() {
    return mode;
  }

  /**
   * @return the deadline, empty when there is none
   */
  public Optional<Duration> timeout() {
    return timeoutView;
  }

  /**
   * @return whether a transport EOF counts as the peer's close
   */
  public boolean ignoresUnexpectedEof() {
    return ignoreUnexpectedEof;
  }

  /**
   * @return what happens to data read while waiting
   */
  public Inbound inbound() {
    return inbound;
  }

  /**
   * @return what happens to the transport at the end
   */
  public TransportPolicy transportPolicy() {
    return transport;
  }

  /**
   * @return the timer scheduler; {@code Schedulers.parallel()} unless one was given
   */
  public Scheduler scheduler() {
    return scheduler != null ? scheduler : Schedulers.parallel();
  }

  private ShutdownSpec withMode(ShutdownMode next) {
    Objects.requireNonNull(next, "mode");
    if (modeChosen && mode != next) {
      throw new IllegalArgumentException(
          "contradictory shutdown modes: "
              + mode.cliName()
              + " then "
              + next.cliName()
              + "; choose one");
    }
    checkReads(next, inboundChosen);
    return new ShutdownSpec(
        next,
        true,
        timeout,
        ignoreUnexpectedEof,
        inbound,
        inboundChosen,
        transport,
        scheduler,
        settle,
        streamFlush,
        options);
  }

  private ShutdownSpec withInbound(Inbound next) {
    if (inboundChosen) {
      throw new IllegalArgumentException(
          "what to do with data read while waiting was already chosen (" + describe(inbound) + ")");
    }
    checkReads(mode, true);
    return new ShutdownSpec(
        mode,
        modeChosen,
        timeout,
        ignoreUnexpectedEof,
        next,
        true,
        transport,
        scheduler,
        settle,
        streamFlush,
        options);
  }

  private static void checkReads(ShutdownMode mode, boolean readsChosen) {
    if (readsChosen
        && (mode == ShutdownMode.FAST
            || mode == ShutdownMode.QUIET
            || mode == ShutdownMode.RAPID)) {
      throw new IllegalArgumentException(
          mode.cliName()
              + " shutdown never reads from the peer, so a policy for data read while waiting "
              + "contradicts it");
    }
  }

  private static String describe(Inbound inbound) {
    if (inbound instanceof Inbound.Deliver) {
      return "readInto";
    }
    if (inbound instanceof Inbound.DeliverContextual) {
      return "readIntoContextual";
    }
    return inbound == Inbound.discard() ? "discardUnread" : "refuse";
  }

  @Override
  public String toString() {
    return "ShutdownSpec["
        + mode.cliName()
        + ", timeout="
        + (timeout == null ? "none" : timeout)
        + (ignoreUnexpectedEof ? ", ignoreUnexpectedEof" : "")
        + ", inbound="
        + describe(inbound)
        + ", transport="
        + transport
        + (settle ? ", settleAtDeadline" : "")
        + (streamFlush ? "" : ", noStreamFlush")
        + (options.isEmpty() ? "" : ", " + options)
        + "]";
  }
}
