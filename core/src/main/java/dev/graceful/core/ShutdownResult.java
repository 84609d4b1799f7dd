package dev.graceful.core;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * How one shutdown ended: everything an operator asks after an incident.
 *
 * @param connectionId the connection's identity (addresses, or an id of the caller's)
 * @param protocol the negotiated protocol, e.g. {@code TLSv1.3}
 * @param outcome {@link Outcome#COMPLETE} (SSL_shutdown returned 1) or {@link Outcome#SENT} (0)
 * @param state the {@link ShutdownState} bits at the end
 * @param initiator who closed first
 * @param mode the mode that was asked for
 * @param elapsed from subscription to the end, on the spec's scheduler clock
 * @param bytesRead application bytes read during this shutdown (while waiting for the peer)
 * @param connectionBytesRead application bytes read over the whole connection
 * @param bytesDrained stream bytes drained before the close (QUIC)
 * @param drained whether drainage completed (QUIC)
 * @param peerErrorCode the peer's application error code (QUIC), if it closed
 * @param peerReason the peer's reason phrase (QUIC), if it closed
 * @param closeInfo how the QUIC connection was closed, by either side ({@link CloseInfo}); empty
 *     for TLS and DTLS, and for a QUIC connection whose close has not been observed
 * @param unauthenticatedEof the peer's close was a transport EOF accepted by ignore-unexpected-EOF
 * @param sessionResumable the TLS session may be resumed by a later connection
 * @param quiet nothing was sent: quiet shutdown, non-compliant by design
 * @param truncationRisk we stopped without the peer's close: data it was still sending may be lost
 * @param deadlineReached the deadline ended the wait after our close went out ({@link
 *     ShutdownSpec#settleAtDeadline()}): the peer did not answer in time, or its answer was lost
 */
public record ShutdownResult(
    String connectionId,
    String protocol,
    Outcome outcome,
    ShutdownState state,
    Initiator initiator,
    ShutdownMode mode,
    Duration elapsed,
    long bytesRead,
    long connectionBytesRead,
    long bytesDrained,
    DrainStatus drained,
    OptionalLong peerErrorCode,
    Optional<String> peerReason,
    Optional<CloseInfo> closeInfo,
    boolean unauthenticatedEof,
    boolean sessionResumable,
    boolean quiet,
    boolean truncationRisk,
    boolean deadlineReached) {

  /** Checks that no component is null. */
  public ShutdownResult {
    Objects.requireNonNull(connectionId, "connectionId");
    Objects.requireNonNull(protocol, "protocol");
    Objects.requireNonNull(outcome, "outcome");
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(initiator, "initiator");
    Objects.requireNonNull(mode, "mode");
    Objects.requireNonNull(elapsed, "elapsed");
    Objects.requireNonNull(drained, "drained");
    Objects.requireNonNull(peerErrorCode, "peerErrorCode");
    Objects.requireNonNull(peerReason, "peerReason");
    Objects.requireNonNull(closeInfo, "closeInfo");
  }

  /**
   * @param connectionId the connection's identity
   * @return a builder with TLS-neutral defaults (nothing read, nothing drained)
   */
  public static Builder builder(String connectionId) {
    return new Builder(connectionId);
  }

  /**
   * @return a builder holding this result's values
   */
  public Builder toBuilder() {
    Builder b = new Builder(connectionId);
    b.protocol = protocol;
    b.outcome = outcome;
    b.state = state;
    b.initiator = initiator;
    b.mode = mode;
    b.elapsed = elapsed;
    b.bytesRead = bytesRead;
    b.connectionBytesRead = connectionBytesRead;
    b.bytesDrained = bytesDrained;
    b.drained = drained;
    b.peerErrorCode = peerErrorCode;
    b.peerReason = peerReason;
    b.closeInfo = closeInfo;
    b.unauthenticatedEof = unauthenticatedEof;
    b.sessionResumable = sessionResumable;
    b.quiet = quiet;
    b.truncationRisk = truncationRisk;
    b.deadlineReached = deadlineReached;
    return b;
  }

  /** A mutable builder, for protocol modules that assemble a result. */
  public static final class Builder {
    private final String connectionId;
    private String protocol = "unknown";
    private Outcome outcome = Outcome.SENT;
    private ShutdownState state = ShutdownState.NONE;
    private Initiator initiator = Initiator.LOCAL;
    private ShutdownMode mode = ShutdownMode.BIDIRECTIONAL;
    private Duration elapsed = Duration.ZERO;
    private long bytesRead;
    private long connectionBytesRead;
    private long bytesDrained;
    private DrainStatus drained = DrainStatus.NOT_APPLICABLE;
    private OptionalLong peerErrorCode = OptionalLong.empty();
    private Optional<String> peerReason = Optional.empty();
    private Optional<CloseInfo> closeInfo = Optional.empty();
    private boolean unauthenticatedEof;
    private boolean sessionResumable;
    private boolean quiet;
    private boolean truncationRisk;
    private boolean deadlineReached;

    private Builder(String connectionId) {
      this.connectionId = Objects.requireNonNull(connectionId, "connectionId");
    }

    /**
     * @param v protocol name
     * @return this
     */
    public Builder protocol(String v) {
      protocol = Objects.requireNonNull(v, "protocol");
      return this;
    }

    /**
     * @param v outcome
     * @return this
     */
    public Builder outcome(Outcome v) {
      outcome = Objects.requireNonNull(v, "outcome");
      return this;
    }

    /**
     * @param v state
     * @return this
     */
    public Builder state(ShutdownState v) {
      state = Objects.requireNonNull(v, "state");
      return this;
    }

    /**
     * @param v initiator
     * @return this
     */
    public Builder initiator(Initiator v) {
      initiator = Objects.requireNonNull(v, "initiator");
      return this;
    }

    /**
     * @param v mode
     * @return this
     */
    public Builder mode(ShutdownMode v) {
      mode = Objects.requireNonNull(v, "mode");
      return this;
    }

    /**
     * @param v elapsed time
     * @return this
     */
    public Builder elapsed(Duration v) {
      elapsed = Objects.requireNonNull(v, "elapsed");
      return this;
    }

    /**
     * @param v bytes read during the shutdown
     * @return this
     */
    public Builder bytesRead(long v) {
      bytesRead = v;
      return this;
    }

    /**
     * @param v bytes read over the connection
     * @return this
     */
    public Builder connectionBytesRead(long v) {
      connectionBytesRead = v;
      return this;
    }

    /**
     * @param v bytes drained
     * @return this
     */
    public Builder bytesDrained(long v) {
      bytesDrained = v;
      return this;
    }

    /**
     * @param v drain status
     * @return this
     */
    public Builder drained(DrainStatus v) {
      drained = Objects.requireNonNull(v, "drained");
      return this;
    }

    /**
     * @param v the peer's error code
     * @return this
     */
    public Builder peerErrorCode(OptionalLong v) {
      peerErrorCode = Objects.requireNonNull(v, "peerErrorCode");
      return this;
    }

    /**
     * @param v the peer's reason
     * @return this
     */
    public Builder peerReason(Optional<String> v) {
      peerReason = Objects.requireNonNull(v, "peerReason");
      return this;
    }

    /**
     * @param v how the connection was closed, or empty
     * @return this
     */
    public Builder closeInfo(Optional<CloseInfo> v) {
      closeInfo = Objects.requireNonNull(v, "closeInfo");
      return this;
    }

    /**
     * @param v how the connection was closed
     * @return this
     */
    public Builder closeInfo(CloseInfo v) {
      return closeInfo(Optional.of(v));
    }

    /**
     * @param v the peer's close was an accepted transport EOF
     * @return this
     */
    public Builder unauthenticatedEof(boolean v) {
      unauthenticatedEof = v;
      return this;
    }

    /**
     * @param v session resumable flag
     * @return this
     */
    public Builder sessionResumable(boolean v) {
      sessionResumable = v;
      return this;
    }

    /**
     * @param v quiet flag
     * @return this
     */
    public Builder quiet(boolean v) {
      quiet = v;
      return this;
    }

    /**
     * @param v truncation risk flag
     * @return this
     */
    public Builder truncationRisk(boolean v) {
      truncationRisk = v;
      return this;
    }

    /**
     * @param v deadline reached flag
     * @return this
     */
    public Builder deadlineReached(boolean v) {
      deadlineReached = v;
      return this;
    }

    /**
     * @return the immutable result
     */
    public ShutdownResult build() {
      return new ShutdownResult(
          connectionId,
          protocol,
          outcome,
          state,
          initiator,
          mode,
          elapsed,
          bytesRead,
          connectionBytesRead,
          bytesDrained,
          drained,
          peerErrorCode,
          peerReason,
          closeInfo,
          unauthenticatedEof,
          sessionResumable,
          quiet,
          truncationRisk,
          deadlineReached);
    }
  }
}
