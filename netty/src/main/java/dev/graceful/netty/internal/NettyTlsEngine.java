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
import io.netty.handler.ssl.SslHandler;
import java.util.List;
import java.util.concurrent.Executor;
import org.jspecify.annotations.Nullable;

/**
 * SSL_shutdown for a Netty channel through its {@link SslHandler}, confined to the channel's event
 * loop. The peer's close_notify is taken from the engine itself (Netty's close-completion event,
 * which {@link GracefulTlsHandler} keeps from reactor-netty so a TLS 1.3 half-close does not close
 * the channel); our close_notify goes out after every write already queued (a flush barrier, then
 * {@link SslHandler#closeOutbound()}).
 *
 * <p>On a server with SNI the channel starts with an SNI handler, which replaces itself with an
 * {@code SslHandler} only once the client's hello arrived: the {@code SslHandler} is then looked
 * up when first needed. No close_notify can be exchanged before a handshake completed (the SNI
 * handler still waits for the hello, or the handshake is under way or failed): a shutdown then
 * fails with {@code ILLEGAL_STATE}, having sent nothing, and closes the channel past the {@code
 * SslHandler}, so that no alert goes out either; only a quiet shutdown, which sends nothing
 * anyway, completes.
 */
public final class NettyTlsEngine implements ShutdownEngine {
  private final Channel channel;
  /** The channel's {@code SslHandler} once found (event loop); null while an SNI handler waits. */
  private @Nullable SslHandler ssl;
  private final String identity;
  private final Waiters waiters = new Waiters();
  private volatile ShutdownState state = ShutdownState.NONE;
  private boolean peerFirst;
  private boolean transportClosed;
  private boolean sendStarted;
  private ChannelFuture closeNotify;
  private boolean unauthenticatedEof;
  private boolean quiet;
  /** A shutdown found no completed handshake: the channel closes without an alert. */
  private boolean noHandshake;
  /** Event loop: closes from the application are held until graceful's own close (a server shutdown). */
  private boolean holdingCloses;
  private boolean reading;
  private Inbound inbound = Inbound.refuse();
  private long connectionBytesRead;
  private long bytesReadWhileShuttingDown;

  /**
   * @param channel a channel whose pipeline has an {@code SslHandler}, or a handler that installs
   *     one (Netty's SNI handler)
   * @param ssl the channel's {@code SslHandler}, or null while an SNI handler stands in its place
   * @param identity a name for results and errors
   */
  public NettyTlsEngine(Channel channel, @Nullable SslHandler ssl, String identity) {
    this.channel = channel;
    this.ssl = ssl;
    this.identity = identity;
  }

  /**
   * Event loop: the channel's {@code SslHandler}, looked up until found (an SNI handler replaces
   * itself with one after the client's hello; a closed channel's pipeline lets it go again).
   */
  private @Nullable SslHandler ssl() {
    SslHandler h = ssl;
    if (h == null) {
      h = channel.pipeline().get(SslHandler.class);
      ssl = h;
    }
    return h;
  }

  /** Event loop: whether a handshake completed, so that close_notify can be exchanged. */
  private boolean handshaken() {
    SslHandler h = ssl();
    return h != null && h.handshakeFuture().isSuccess();
  }

  // ---- events from GracefulTlsHandler, on the event loop ----

  void onPeerCloseNotify() {
    if (!state.sent()) {
      peerFirst = true;
    }
    state = state.with(ShutdownState.RECEIVED);
    SslHandler h = ssl();
    if (h != null && h.engine().isOutboundDone()) {
      state = state.with(ShutdownState.SENT); // TLS 1.2: the JDK engine answered by itself
    }
    wake(waiters.take(false));
  }

  void onInactive() {
    ssl(); // found while the pipeline still holds it
    transportClosed = true;
    wake(waiters.takeAll());
  }

  /**
   * @param data plaintext the peer sent
   * @return true when graceful consumed it (the policy delivers or discards it), false to pass it on
   */
  boolean onData(ByteBuf data) {
    int n = data.readableBytes();
    connectionBytesRead += n;
    if (!reading) {
      return false;
    }
    bytesReadWhileShuttingDown += n;
    wake(waiters.take(false));
    if (inbound instanceof Inbound.Deliver d) {
      d.consumer().accept(data.nioBuffer().asReadOnlyBuffer());
      return true;
    }
    // Discard consumes; Refuse leaves the data to the application's own handlers, which read it
    return inbound == Inbound.discard();
  }

  // ---- SPI ----

  @Override
  public String protocolFamily() {
    return "TLS";
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
        // T7: nothing is sent; both directions are marked closed
        quiet = true;
        state = ShutdownState.SENT_AND_RECEIVED;
        return Step.COMPLETE;
      }
      default -> { }
    }
    if (!sendStarted && !state.received() && !handshaken()) {
      // close_notify closes the connection a handshake established: before one completed there
      // is none to close (an alert in the clear would prove nothing), so nothing is sent, and
      // the error says so rather than a result claiming an exchange
      noHandshake = true;
      throw new ShutdownException(
          Reason.ILLEGAL_STATE,
          identity,
          state,
          ssl() == null
              ? "no TLS handshake: the client's hello (SNI) had not arrived; closed without close_notify"
              : "the TLS handshake had not completed; closed without close_notify",
          null);
    }
    if (transportClosed && state.received() && !sendStarted) {
      // the peer closed cleanly and took the transport away: nothing can be answered any more
      return Step.COMPLETE;
    }
    if (transportClosed && !state.received()) {
      if (request.ignoreUnexpectedEof()) {
        unauthenticatedEof = true;
        state = state.with(ShutdownState.RECEIVED);
        if (!sendStarted) {
          state = state.with(ShutdownState.SENT); // nothing can be sent any more
        }
        return Step.COMPLETE;
      }
      if (sendStarted || mode != ShutdownMode.FAST) {
        throw new ShutdownException(
            Reason.TRUNCATED, identity, state, "the transport closed without a close_notify from the peer", null);
      }
    }
    if (mode == ShutdownMode.WAIT_PEER && !state.received()) {
      reading = true;
      return Step.WANT_READ;
    }
    if (!sendStarted) {
      sendStarted = true;
      state = state.with(ShutdownState.SENT); // T1: set when sending is attempted
      // the close_notify goes out after every write already queued on the channel
      // (the listeners may run at once, inside this step, when the flushes complete at once)
      channel.writeAndFlush(Unpooled.EMPTY_BUFFER)
          .addListener(barrier -> {
            closeNotify = closeOutbound(barrier.cause());
            closeNotify.addListener(g -> wake(waiters.take(true)));
          });
    }
    if (closeNotify == null || !closeNotify.isDone()) {
      return Step.WANT_WRITE;
    }
    if (!closeNotify.isSuccess() && state.received()) {
      // the peer's close_notify arrived and its transport went before our answer could: the
      // connection still ended cleanly (the answer is optional for a peer that has closed)
      return Step.COMPLETE;
    }
    if (!closeNotify.isSuccess()) {
      throw new ShutdownException(
          Reason.TRANSPORT, identity, state, "close_notify could not be written: " + closeNotify.cause(), closeNotify.cause());
    }
    if (state.received()) {
      reading = false;
      return Step.COMPLETE;
    }
    if (mode == ShutdownMode.FAST) {
      return Step.SENT;
    }
    reading = true;
    return Step.WANT_READ;
  }

  /**
   * Event loop: has the {@code SslHandler} send our close_notify.
   *
   * @param barrierFailure why the write queued before it failed, or null
   * @return the close_notify's write, failed when it cannot go out
   */
  private ChannelFuture closeOutbound(Throwable barrierFailure) {
    SslHandler ssl = ssl();
    if (ssl == null || channel.pipeline().context(ssl) == null) {
      // the SslHandler left the pipeline (as a closed channel's pipeline lets every handler go):
      // nothing can be written through it. Netty's closeOutbound would fail its future too, but
      // log a "masked exception" warning on the way (its write queue is gone)
      return channel.newFailedFuture(
          barrierFailure != null ? barrierFailure : new IllegalStateException("the SslHandler left the channel's pipeline"));
    }
    try {
      return ssl.closeOutbound();
    } catch (RuntimeException | Error e) {
      if (e instanceof VirtualMachineError fatal) {
        throw fatal;
      }
      // thrown instead of reported through the future: the shutdown fails with it now, instead
      // of waiting out its deadline and calling the peer's end a truncation
      return channel.newFailedFuture(e);
    }
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

  /**
   * Event loop: from now on a close of the channel from above (reactor-netty's, the application's)
   * is held until graceful's own close at the end of its shutdown, so that it cannot cut the TLS
   * exchange short. Only a server shutdown asks for this; it always ends by closing.
   */
  public void holdCloses() {
    holdingCloses = true;
  }

  /** @return whether a close from above is held (event loop) */
  public boolean holdsCloses() {
    return holdingCloses;
  }

  @Override
  public void closeTransport() {
    holdingCloses = false;
    SslHandler ssl = ssl();
    if ((quiet || noHandshake) && ssl != null) {
      // past the SslHandler, whose own close would send the close_notify a quiet shutdown omits
      // (or, before a handshake completed, an alert the shutdown's error says was not sent)
      var ctx = channel.pipeline().context(ssl);
      (ctx != null ? ctx.close() : channel.close()).addListener(f -> { });
      return;
    }
    channel.close();
  }

  @Override
  public ShutdownResult.Builder describe() {
    SslHandler ssl = ssl();
    String protocol = ssl == null ? "unknown" : ssl.engine().getSession().getProtocol();
    return ShutdownResult.builder(identity)
        .protocol(protocol)
        .state(state)
        .initiator(peerFirst ? Initiator.PEER : Initiator.LOCAL)
        .bytesRead(bytesReadWhileShuttingDown)
        .connectionBytesRead(connectionBytesRead)
        .unauthenticatedEof(unauthenticatedEof)
        .quiet(quiet);
  }

  /** @return application bytes read from the peer over the whole connection */
  public long connectionBytesRead() {
    return connectionBytesRead;
  }

  private static void wake(List<Runnable> ready) {
    ready.forEach(Runnable::run);
  }
}
