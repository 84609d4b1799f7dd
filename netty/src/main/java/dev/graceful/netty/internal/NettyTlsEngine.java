package dev.graceful.netty.internal;

import dev.graceful.core.Inbound;
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
import io.netty.handler.ssl.SslHandler;
import java.nio.ByteBuffer;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.FluxSink;

/**
 * SSL_shutdown for a Netty channel through its {@link SslHandler}, confined to the channel's event
 * loop, with the results and errors of graceful's own TLS connections. The peer's close_notify is
 * taken from the engine itself (Netty's close-completion event, which {@link GracefulTlsHandler}
 * keeps from reactor-netty so a TLS 1.3 half-close does not close the channel); our close_notify
 * goes out after every write already queued (a flush barrier, then {@link
 * SslHandler#closeOutbound()}).
 *
 * <p>Data that arrives while a shutdown waits for the peer goes to the policy's consumer, is
 * discarded, goes to {@link #receive(FluxSink) receive()}'s subscriber, or else ends the shutdown
 * with {@code UNREAD_DATA} and passes on to the channel's handlers, where it stays readable (T5).
 * Where those handlers read every byte (a server {@link #readByApplication() says so}), it is read
 * and ends nothing.
 *
 * <p>A failure of the TLS layer (an alert from the peer, a record that does not decrypt) is a
 * {@code PROTOCOL} error, told apart from a transport that ended without close_notify ({@code
 * TRUNCATED}); an alert and its description are read from the records the peer sent (see {@link
 * TlsRecordReader}), never from an exception's message. Once the connection failed, the first
 * shutdown or {@code receive()} to hear of it gets that error, later ones {@code ILLEGAL_STATE}
 * (T11).
 *
 * <p>On a server with SNI the channel starts with an SNI handler, which replaces itself with an
 * {@code SslHandler} only once the client's hello arrived: the {@code SslHandler} is then looked up
 * when first needed. No close_notify can be exchanged before a handshake completed: a shutdown then
 * fails with {@code ILLEGAL_STATE}, having sent nothing, and closes the channel past the {@code
 * SslHandler}, so that no alert goes out either; only a quiet shutdown, which sends nothing anyway,
 * completes.
 */
public final class NettyTlsEngine extends ChannelShutdownEngine {
  private static final String EOF_WITHOUT_CLOSE_NOTIFY =
      "the transport closed without a close_notify from the peer";

  /** The channel's {@code SslHandler} once found (event loop); null while an SNI handler waits. */
  private @Nullable SslHandler ssl;

  private final TlsRecordReader records;
  private volatile boolean applicationReads;
  private boolean transportClosed;
  private boolean sendStarted;
  private @Nullable ChannelFuture closeNotify;
  private boolean unauthenticatedEof;

  /** A shutdown found no completed handshake: the channel closes without an alert. */
  private boolean noHandshake;

  /** Bytes a refusing shutdown left to the channel's handlers while it waited. */
  private long unread;

  private @Nullable FluxSink<ByteBuffer> receiver;

  /** Why the connection failed, if it did. */
  private final TlsFailure failure = new TlsFailure(this);

  /**
   * @param channel a channel whose pipeline has an {@code SslHandler}, or a handler that installs
   *     one (Netty's SNI handler)
   * @param ssl the channel's {@code SslHandler}, or null while an SNI handler stands in its place
   * @param records the peer's records, as a {@link TlsRecordWatch} before the {@code SslHandler}
   *     reads them
   * @param identity a name for results and errors
   */
  public NettyTlsEngine(
      Channel channel, @Nullable SslHandler ssl, TlsRecordReader records, String identity) {
    super(channel, identity);
    this.ssl = ssl;
    this.records = records;
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

  /**
   * The channel's own handlers read every byte it delivers (a reactor-netty server's): data a
   * refusing policy leaves to them is read there, and does not end a shutdown with {@code
   * UNREAD_DATA}. Any thread.
   */
  public void readByApplication() {
    applicationReads = true;
  }

  // ---- events from GracefulTlsHandler, on the event loop ----

  void onPeerCloseNotify() {
    peerClosed();
    SslHandler h = ssl();
    if (h != null && h.engine().isOutboundDone()) {
      state = state.with(ShutdownState.SENT); // TLS 1.2: the JDK engine answered by itself
    }
    endReceiver();
    wake(false);
  }

  @Override
  public void onError(Throwable cause) {
    Throwable tls = TlsFailure.ofTls(cause);
    if (tls != null && !failure.happened()) {
      tlsFailed(tls);
      announceFailure();
    }
  }

  /** The peer sent a fatal alert in the clear, and the {@code SslHandler} has processed it. */
  public void onPeerFatalAlert() {
    if (!failure.happened()) {
      tlsFailed(null);
      announceFailure();
    }
  }

  @Override
  public void onInactive() {
    ssl(); // found while the pipeline still holds it
    transportClosed = true;
    if (!failure.happened() && !state.received() && receiver != null) {
      failure.record(Reason.TRUNCATED, EOF_WITHOUT_CLOSE_NOTIFY, null);
      announceFailure();
      return;
    }
    endReceiver();
    wakeAll();
  }

  @Override
  boolean unclaimed(ByteBuf data) {
    FluxSink<ByteBuffer> r = receiver;
    if (r != null) {
      ByteBuffer copy = ByteBuffer.allocate(data.readableBytes());
      data.getBytes(data.readerIndex(), copy);
      r.next(copy.flip());
      return true;
    }
    if (reading && inbound instanceof Inbound.Refuse && !applicationReads) {
      unread += data.readableBytes(); // passed on: it stays readable by the channel's handlers
      wake(false);
    }
    return false;
  }

  // ---- late data as a Flux, on the event loop ----

  /**
   * Hands the application data that arrives to {@code sink} until the peer's close_notify, which
   * completes it; a transport that ends without one errors it with {@code TRUNCATED}, a failure of
   * the TLS layer with {@code PROTOCOL} (T3, T5, T8). One receiver at a time.
   *
   * @param sink the subscriber's sink; each buffer is a copy it owns
   */
  public void receive(FluxSink<ByteBuffer> sink) {
    if (receiver != null) {
      sink.error(
          error(Reason.ILLEGAL_STATE, "receive() is already subscribed on this connection", null));
    } else if (failure.happened()) {
      sink.error(failed());
    } else if (state.received()) {
      sink.complete();
    } else if (transportClosed) {
      failure.record(Reason.TRUNCATED, EOF_WITHOUT_CLOSE_NOTIFY, null);
      sink.error(failed());
    } else {
      receiver = sink;
    }
  }

  /**
   * @param sink a sink given to {@link #receive(FluxSink)}, whose subscriber went
   */
  public void stopReceiving(FluxSink<ByteBuffer> sink) {
    if (receiver == sink) {
      receiver = null;
    }
  }

  private void endReceiver() {
    FluxSink<ByteBuffer> r = receiver;
    if (r == null) {
      return;
    }
    if (failure.happened()) {
      receiver = null;
      r.error(failed());
    } else if (state.received()) {
      receiver = null;
      r.complete();
    }
  }

  // ---- failures ----

  /**
   * The TLS layer failed, or closed at a fatal alert the peer sent in the clear: the alert in the
   * peer's records, if any, says why. A fatal alert counts as the peer's close (T1: "the peer's
   * close_notify (or a fatal alert)").
   *
   * @param cause the engine's exception, or null when it went on without one
   */
  private void tlsFailed(@Nullable Throwable cause) {
    TlsAlert alert = records.fatalAlert();
    if (alert == null && cause != null) {
      alert = records.lastRecordAlert(); // the record the engine failed at
    }
    if (failure.recordTls(alert, cause)) {
      peerClosed();
    }
  }

  /** Tells the failure to every shutdown and receiver waiting now. */
  private void announceFailure() {
    failure.announce(
        receiver != null || waiting(),
        () -> {
          endReceiver();
          wakeAll();
        });
  }

  /**
   * @return the failure for a shutdown or a receiver that hears of it now (T11)
   */
  private ShutdownException failed() {
    reading = false;
    return failure.error();
  }

  // ---- SPI ----

  @Override
  public String protocolFamily() {
    return "TLS";
  }

  @Override
  public Step step(ShutdownRequest request) throws ShutdownException {
    inbound = request.inbound();
    ShutdownMode mode = request.mode();
    if (failure.happened() && handshaken()) {
      throw failed();
    }
    Step common = commonMode(mode);
    if (common != null) {
      return common;
    }
    if (!sendStarted && !state.received() && !handshaken()) {
      // close_notify closes the connection a handshake established: before one completed there
      // is none to close (an alert in the clear would prove nothing), so nothing is sent, and
      // the error says so rather than a result claiming an exchange
      noHandshake = true;
      String why =
          ssl() == null
              ? "no TLS handshake: the client's hello (SNI) had not arrived"
              : failure.happened()
                  ? "the TLS handshake failed: " + failure.message()
                  : "the TLS handshake had not completed";
      throw error(Reason.ILLEGAL_STATE, why + "; closed without close_notify", failure.cause());
    }
    if (unread > 0) {
      // "With neither, pending data ends the shutdown with UNREAD_DATA and stays readable" (T5)
      long n = unread;
      unread = 0;
      reading = false;
      throw error(
          Reason.UNREAD_DATA,
          n
              + " bytes of application data arrived while waiting for the peer's close_notify and the policy neither reads nor"
              + " discards them; they were passed on to the channel's handlers",
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
        failure.record(Reason.TRUNCATED, EOF_WITHOUT_CLOSE_NOTIFY, null);
        throw failed();
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
      channel
          .writeAndFlush(Unpooled.EMPTY_BUFFER)
          .addListener(
              barrier -> {
                ChannelFuture sent = closeOutbound(barrier.cause());
                closeNotify = sent;
                sent.addListener(g -> wake(true));
              });
    }
    ChannelFuture sent = closeNotify;
    if (sent == null || !sent.isDone()) {
      return Step.WANT_WRITE;
    }
    if (!sent.isSuccess() && state.received()) {
      // the peer's close_notify arrived and its transport went before our answer could: the
      // connection still ended cleanly (the answer is optional for a peer that has closed)
      return Step.COMPLETE;
    }
    if (!sent.isSuccess()) {
      throw error(
          Reason.TRANSPORT, "close_notify could not be written: " + sent.cause(), sent.cause());
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
  private ChannelFuture closeOutbound(@Nullable Throwable barrierFailure) {
    SslHandler h = ssl();
    if (h == null || channel.pipeline().context(h) == null) {
      // the SslHandler left the pipeline (as a closed channel's pipeline lets every handler go):
      // nothing can be written through it. Netty's closeOutbound would fail its future too, but
      // log a "masked exception" warning on the way (its write queue is gone)
      return channel.newFailedFuture(
          barrierFailure != null
              ? barrierFailure
              : new IllegalStateException("the SslHandler left the channel's pipeline"));
    }
    try {
      return h.closeOutbound();
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
  public void closeTransport() {
    releaseCloses();
    SslHandler h = ssl();
    if ((quiet || noHandshake) && h != null) {
      // past the SslHandler, whose own close would send the close_notify a quiet shutdown omits
      // (or, before a handshake completed, an alert the shutdown's error says was not sent)
      var ctx = channel.pipeline().context(h);
      (ctx != null ? ctx.close() : channel.close()).addListener(f -> {});
      return;
    }
    channel.close();
  }

  @Override
  public ShutdownResult.Builder describe() {
    SslHandler h = ssl();
    String protocol = h == null ? "unknown" : h.engine().getSession().getProtocol();
    // T6: without the peer's close, data it was still sending may be lost
    return describe(protocol)
        .unauthenticatedEof(unauthenticatedEof)
        .truncationRisk(!state.received());
  }
}
