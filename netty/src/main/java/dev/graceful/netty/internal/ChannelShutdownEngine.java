package dev.graceful.netty.internal;

import dev.graceful.core.Inbound;
import dev.graceful.core.Initiator;
import dev.graceful.core.ShutdownException;
import dev.graceful.core.ShutdownException.Reason;
import dev.graceful.core.ShutdownMode;
import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownState;
import dev.graceful.core.spi.ShutdownEngine;
import dev.graceful.core.spi.Step;
import dev.graceful.core.spi.Waiters;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import java.util.List;
import java.util.concurrent.Executor;
import org.jspecify.annotations.Nullable;

/**
 * What the shutdown of a Netty channel does the same over TLS and cleartext: confinement to the
 * channel's event loop, the state bits and who closed first, the shutdowns waiting for the channel,
 * data arriving while one waits for the peer, and closes from above held during a server shutdown.
 * Every method but {@link #state()}, {@link #connectionId()} and {@link #executor()} runs on the
 * event loop.
 */
public abstract class ChannelShutdownEngine implements ShutdownEngine, ConnectionObserver {
  final Channel channel;
  private final String identity;
  private final Waiters waiters = new Waiters();
  volatile ShutdownState state = ShutdownState.NONE;

  /** The peer's close was processed before ours was sent. */
  boolean peerFirst;

  boolean quiet;

  /** A shutdown waits for the peer: data that arrives meanwhile is the policy's. */
  boolean reading;

  Inbound inbound = Inbound.refuse();
  private boolean holdingCloses;
  private long connectionBytesRead;

  /**
   * @param channel the channel
   * @param identity a name for results and errors
   */
  ChannelShutdownEngine(Channel channel, String identity) {
    this.channel = channel;
    this.identity = identity;
  }

  // ---- events ----

  /**
   * Counts the bytes; while a shutdown waits for the peer, hands them to its consumer or discards
   * them as its policy says, and otherwise leaves them to {@link #unclaimed(ByteBuf)}.
   */
  @Override
  public final boolean onData(ByteBuf data) {
    connectionBytesRead += data.readableBytes();
    if (reading && inbound instanceof Inbound.Deliver d) {
      d.consumer().accept(data.nioBuffer().asReadOnlyBuffer());
      return true;
    }
    if (reading && inbound == Inbound.discard()) {
      return true;
    }
    return unclaimed(data);
  }

  /**
   * @param data bytes no waiting shutdown took
   * @return true when consumed, false to pass them on to the channel's next handlers
   */
  abstract boolean unclaimed(ByteBuf data);

  /** The peer's close arrived: RECEIVED, and the peer closed first unless ours was sent. */
  final void peerClosed() {
    if (!state.sent()) {
      peerFirst = true;
    }
    state = state.with(ShutdownState.RECEIVED);
  }

  /**
   * Event loop: from now on a close of the channel from above (reactor-netty's, the application's)
   * is held until graceful's own close at the end of its shutdown, so that it cannot cut the
   * exchange short. Only a server shutdown asks for this; it always ends by closing.
   */
  public final void holdCloses() {
    holdingCloses = true;
  }

  /** Event loop: graceful's own close; closes from above pass again. */
  final void releaseCloses() {
    holdingCloses = false;
  }

  @Override
  public final boolean holdsCloses() {
    return holdingCloses;
  }

  // ---- stepping ----

  /**
   * The modes every channel treats alike: QUIC's are refused, quiet marks both directions closed
   * and sends nothing (T7).
   *
   * @return {@link Step#COMPLETE} for quiet, null for the modes the engine carries out itself
   */
  final @Nullable Step commonMode(ShutdownMode mode) throws ShutdownException {
    switch (mode) {
      case RFC, RAPID -> throw error(Reason.INVALID_ARGUMENT, "rfc and rapid are QUIC modes", null);
      case QUIET -> {
        quiet = true;
        state = ShutdownState.SENT_AND_RECEIVED;
        return Step.COMPLETE;
      }
      default -> {
        return null;
      }
    }
  }

  final ShutdownException error(Reason reason, String message, @Nullable Throwable cause) {
    return new ShutdownException(reason, identity, state, message, cause);
  }

  /** Runs the shutdowns waiting to read ({@code false}) or to write ({@code true}). */
  final void wake(boolean forWrite) {
    run(waiters.take(forWrite));
  }

  /**
   * @return whether a shutdown waits for the channel
   */
  final boolean waiting() {
    return !waiters.isEmpty();
  }

  /** Runs every waiting shutdown. */
  final void wakeAll() {
    run(waiters.takeAll());
  }

  private static void run(List<Runnable> ready) {
    ready.forEach(Runnable::run);
  }

  /**
   * @param protocol the result's protocol
   * @return a result builder with what every channel knows
   */
  final ShutdownResult.Builder describe(String protocol) {
    return ShutdownResult.builder(identity)
        .protocol(protocol)
        .state(state)
        .initiator(peerFirst ? Initiator.PEER : Initiator.LOCAL)
        .connectionBytesRead(connectionBytesRead)
        .quiet(quiet);
  }

  // ---- SPI ----

  @Override
  public final String connectionId() {
    return identity;
  }

  @Override
  public final Executor executor() {
    return channel.eventLoop();
  }

  @Override
  public final ShutdownState state() {
    return state;
  }

  @Override
  public final void awaitReadiness(Step want, Runnable onReady) {
    waiters.add(want == Step.WANT_WRITE, onReady);
  }

  @Override
  public final void cancelReadiness(Runnable onReady) {
    waiters.remove(onReady);
    if (!waiters.waits(false)) {
      reading = false;
    }
  }

  /**
   * @return application bytes read from the peer over the whole connection
   */
  @Override
  public final long connectionBytesRead() {
    return connectionBytesRead;
  }
}
