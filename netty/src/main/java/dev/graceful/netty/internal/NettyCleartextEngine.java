package dev.graceful.netty.internal;

import dev.graceful.core.Inbound;
import dev.graceful.core.Initiator;
import dev.graceful.core.ShutdownException;
import dev.graceful.core.ShutdownException.Reason;
import dev.graceful.core.ShutdownMode;
import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownState;
import dev.graceful.core.spi.ShutdownEngine;
import dev.graceful.core.spi.ShutdownRequest;
import dev.graceful.core.spi.Step;
import dev.graceful.core.spi.Waiters;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.socket.DuplexChannel;
import java.util.List;
import java.util.concurrent.Executor;

/**
 * The shutdown of a cleartext (TCP, no TLS) Netty channel, confined to its event loop. TCP's only
 * close signal is the FIN, so it plays close_notify's part, with one difference a result must not
 * hide: a FIN is not authenticated, anyone on the path can forge or drop it.
 *
 * <ul>
 *   <li>SENT: our FIN went out ({@link DuplexChannel#shutdownOutput()} after every queued write, or
 *       the channel's close, ours or reactor-netty's);
 *   <li>RECEIVED: the peer's FIN arrived (the channel reached its end without an I/O error), which
 *       every result reports as {@code unauthenticatedEof};
 *   <li>bidirectional: our FIN, then wait for the peer's (the lingering close of RFC 9112 §9.6,
 *       which keeps a response from being cut by a reset); fast: our FIN only, outcome SENT;
 *       quiet: nothing is done until the channel is closed, outcome COMPLETE marked quiet;
 *       wait-peer: wait for the peer's FIN, then send ours;
 *   <li>the protocol is {@value #PROTOCOL}; no session is ever resumable.
 * </ul>
 *
 * A channel that cannot half-close (not a {@link DuplexChannel}) sends its FIN by closing: then it
 * cannot wait for the peer's and ends SENT with the truncation risk marked. So does a channel that
 * something closed from above before the policy ran. An I/O error (a reset) before the peer's FIN
 * fails the shutdown with {@code TRANSPORT}.
 */
public final class NettyCleartextEngine implements ShutdownEngine {
  /** What a cleartext connection's results name as their protocol: none was negotiated. */
  public static final String PROTOCOL = "cleartext";

  private final Channel channel;
  private final String identity;
  private final Waiters waiters = new Waiters();
  private volatile ShutdownState state = ShutdownState.NONE;
  private boolean peerFirst;
  private boolean transportClosed;
  private boolean closedFromAbove;
  private Throwable ioError;
  private boolean sendStarted;
  private ChannelFuture fin;
  private boolean quiet;
  private boolean holdingCloses;
  private boolean reading;
  private Inbound inbound = Inbound.refuse();
  private long connectionBytesRead;

  /**
   * @param channel a cleartext channel
   * @param identity a name for results and errors
   */
  public NettyCleartextEngine(Channel channel, String identity) {
    this.channel = channel;
    this.identity = identity;
  }

  // ---- events from GracefulCleartextHandler, on the event loop ----

  void onError(Throwable cause) {
    if (ioError == null && !transportClosed) {
      ioError = cause;
    }
  }

  /** A close from above passed by (the channel sends its FIN as it closes). */
  void onCloseFromAbove() {
    closedFromAbove = true;
    state = state.with(ShutdownState.SENT);
  }

  void onInactive() {
    transportClosed = true;
    if (ioError == null && !closedFromAbove && !state.received()) {
      // the channel ended by itself without an error: the peer's FIN (Netty closes on it)
      if (!state.sent()) {
        peerFirst = true;
      }
      state = state.with(ShutdownState.RECEIVED);
    }
    wake(waiters.takeAll());
  }

  /**
   * @param data bytes the peer sent
   * @return true when graceful consumed them (the policy delivers or discards), false to pass on
   */
  boolean onData(ByteBuf data) {
    connectionBytesRead += data.readableBytes();
    if (!reading) {
      return false;
    }
    if (inbound instanceof Inbound.Deliver d) {
      d.consumer().accept(data.nioBuffer().asReadOnlyBuffer());
      return true;
    }
    return inbound == Inbound.discard();
  }

  /** @return whether a close from above is held until graceful's own (event loop) */
  boolean holdsCloses() {
    return holdingCloses;
  }

  /**
   * Event loop: from now on a close of the channel from above (reactor-netty's after a response
   * saying {@code Connection: close}, the application's) waits for graceful's own close, which
   * half-closes first and waits for the peer. Only a server shutdown asks for this; it always ends
   * by closing.
   */
  public void holdCloses() {
    holdingCloses = true;
  }

  // ---- SPI ----

  @Override
  public String protocolFamily() {
    return "TCP";
  }

  @Override
  public String connectionId() {
    return identity;
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
  public Step step(ShutdownRequest request) throws ShutdownException {
    inbound = request.inbound();
    ShutdownMode mode = request.mode();
    switch (mode) {
      case RFC, RAPID -> throw new ShutdownException(
          Reason.INVALID_ARGUMENT, identity, state, "rfc and rapid are QUIC modes", null);
      case QUIET -> {
        quiet = true;
        state = ShutdownState.SENT_AND_RECEIVED;
        return Step.COMPLETE;
      }
      default -> { }
    }
    if (ioError != null) {
      throw new ShutdownException(Reason.TRANSPORT, identity, state, "the connection failed: " + ioError, ioError);
    }
    if (!transportClosed && !channel.isOpen() && channel.isRegistered()) {
      // closed, but its end not told to the pipeline yet: that event says whether the peer's FIN
      // closed it, and wakes this shutdown
      return Step.WANT_READ;
    }
    if (transportClosed) {
      // the channel's close sent our FIN if the peer's had not closed it already
      state = state.with(ShutdownState.SENT);
      return state.received() ? Step.COMPLETE : Step.SENT;
    }
    if (mode == ShutdownMode.WAIT_PEER && !state.received()) {
      reading = true;
      return Step.WANT_READ;
    }
    if (!sendStarted) {
      sendStarted = true;
      state = state.with(ShutdownState.SENT);
      // the FIN goes out after every write already queued on the channel
      channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(barrier -> {
        fin = sendFin();
        fin.addListener(f -> wake(waiters.take(true)));
      });
    }
    if (fin == null || !fin.isDone()) {
      return Step.WANT_WRITE;
    }
    if (!fin.isSuccess() && !state.received()) {
      throw new ShutdownException(Reason.TRANSPORT, identity, state, "the FIN could not be sent: " + fin.cause(), fin.cause());
    }
    if (state.received()) {
      reading = false;
      return Step.COMPLETE;
    }
    if (mode == ShutdownMode.FAST || !(channel instanceof DuplexChannel)) {
      return Step.SENT;
    }
    reading = true;
    return Step.WANT_READ;
  }

  private ChannelFuture sendFin() {
    if (channel instanceof DuplexChannel duplex && channel.isActive()) {
      return duplex.shutdownOutput();
    }
    closedFromAbove = true;
    holdingCloses = false; // this close is graceful's own
    return channel.close();
  }

  @Override
  public void awaitReadiness(Step want, Runnable onReady) {
    waiters.add(want == Step.WANT_WRITE, onReady);
  }

  @Override
  public void cancelReadiness(Runnable onReady) {
    waiters.remove(onReady);
    if (!waiters.waits(false)) {
      reading = false;
    }
  }

  @Override
  public void closeTransport() {
    holdingCloses = false;
    channel.close();
  }

  @Override
  public ShutdownResult.Builder describe() {
    return ShutdownResult.builder(identity)
        .protocol(PROTOCOL)
        .state(state)
        .initiator(peerFirst ? Initiator.PEER : Initiator.LOCAL)
        .connectionBytesRead(connectionBytesRead)
        .unauthenticatedEof(state.received() && !quiet)
        .truncationRisk(!state.received() && !quiet)
        .quiet(quiet);
  }

  @Override
  public long connectionBytesRead() {
    return connectionBytesRead;
  }

  private static void wake(List<Runnable> ready) {
    ready.forEach(Runnable::run);
  }
}
