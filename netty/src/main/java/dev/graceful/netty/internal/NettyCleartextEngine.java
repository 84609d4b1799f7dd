package dev.graceful.netty.internal;

import dev.graceful.core.ShutdownException;
import dev.graceful.core.ShutdownException.Reason;
import dev.graceful.core.ShutdownMode;
import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownState;
import dev.graceful.core.spi.ShutdownRequest;
import dev.graceful.core.spi.Step;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.socket.DuplexChannel;
import org.jspecify.annotations.Nullable;

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
 *       which keeps a response from being cut by a reset); fast: our FIN only, outcome SENT; quiet:
 *       nothing is done until the channel is closed, outcome COMPLETE marked quiet; wait-peer: wait
 *       for the peer's FIN, then send ours;
 *   <li>the protocol is {@value #PROTOCOL}; no session is ever resumable.
 * </ul>
 *
 * A channel that cannot half-close (not a {@link DuplexChannel}) sends its FIN by closing: then it
 * cannot wait for the peer's and ends SENT with the truncation risk marked. So does a channel that
 * something closed from above before the policy ran. An I/O error (a reset) before the peer's FIN
 * fails the shutdown with {@code TRANSPORT}.
 */
public final class NettyCleartextEngine extends ChannelShutdownEngine {
  /** What a cleartext connection's results name as their protocol: none was negotiated. */
  public static final String PROTOCOL = "cleartext";

  private boolean transportClosed;
  private boolean closedFromAbove;
  private @Nullable Throwable ioError;
  private boolean sendStarted;
  private @Nullable ChannelFuture fin;

  /**
   * @param channel a cleartext channel
   * @param identity a name for results and errors
   */
  public NettyCleartextEngine(Channel channel, String identity) {
    super(channel, identity);
  }

  // ---- events from GracefulCleartextHandler, on the event loop ----

  @Override
  public void onError(Throwable cause) {
    if (ioError == null && !transportClosed) {
      ioError = cause;
    }
  }

  /** A close from above passed by (the channel sends its FIN as it closes). */
  @Override
  public void onCloseFromAbove() {
    closedFromAbove = true;
    state = state.with(ShutdownState.SENT);
  }

  @Override
  public void onInactive() {
    transportClosed = true;
    if (ioError == null && !closedFromAbove && !state.received()) {
      // the channel ended by itself without an error: the peer's FIN (Netty closes on it)
      peerClosed();
    }
    wakeAll();
  }

  /** Refused data is the application's: it passes on to the channel's handlers. */
  @Override
  boolean unclaimed(ByteBuf data) {
    return false;
  }

  // ---- SPI ----

  @Override
  public String protocolFamily() {
    return "TCP";
  }

  @Override
  public Step step(ShutdownRequest request) throws ShutdownException {
    inbound = request.inbound();
    ShutdownMode mode = request.mode();
    Step common = commonMode(mode);
    if (common != null) {
      return common;
    }
    Throwable failed = ioError;
    if (failed != null) {
      throw error(Reason.TRANSPORT, "the connection failed: " + failed, failed);
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
      channel
          .writeAndFlush(Unpooled.EMPTY_BUFFER)
          .addListener(
              barrier -> {
                ChannelFuture sent = sendFin();
                fin = sent;
                sent.addListener(f -> wake(true));
              });
    }
    ChannelFuture sent = fin;
    if (sent == null || !sent.isDone()) {
      return Step.WANT_WRITE;
    }
    if (!sent.isSuccess() && !state.received()) {
      throw error(Reason.TRANSPORT, "the FIN could not be sent: " + sent.cause(), sent.cause());
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
    releaseCloses(); // this close is graceful's own
    return channel.close();
  }

  @Override
  public void closeTransport() {
    releaseCloses();
    channel.close();
  }

  @Override
  public ShutdownResult.Builder describe() {
    return describe(PROTOCOL)
        .unauthenticatedEof(state.received() && !quiet)
        .truncationRisk(!state.received() && !quiet);
  }
}
