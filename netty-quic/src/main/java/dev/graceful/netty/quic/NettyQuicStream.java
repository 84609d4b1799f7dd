package dev.graceful.netty.quic;

import dev.graceful.core.ShutdownException;
import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.core.ShutdownState;
import dev.graceful.netty.quic.internal.NettyQuicEngine;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.quic.QuicStreamChannel;
import java.nio.ByteBuffer;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * A Netty QUIC stream whose writes a connection shutdown drains (Q5). Streams are ended by {@link
 * #conclude()} (FIN) or {@link #reset(long)} (RESET_STREAM), never shut down (Q10). Writes never
 * block: Netty queues what quiche cannot take yet, and the write completes once quiche has it.
 *
 * <p>Netty's codec tells when quiche released a stream, every byte and its FIN acknowledged, but
 * says nothing of acknowledgements before the FIN. A drain therefore proves a stream's delivery
 * once it was concluded (or once {@link #acknowledgedBy} signalled); a stream written and not
 * concluded ends its drain as {@code NOT_DRAINED}.
 */
public final class NettyQuicStream {
  private final QuicStreamChannel channel;
  private final NettyQuicConnection connection;
  private final AtomicInteger writesPending = new AtomicInteger();
  private final AtomicLong written = new AtomicLong();
  private final AtomicLong read = new AtomicLong();
  private final Sinks.One<Long> inputEnded = Sinks.one();
  private final Sinks.Empty<Void> outputEnded = Sinks.empty();
  private volatile boolean reset;
  private volatile boolean concluded;
  private volatile boolean writeFailed;
  private volatile @Nullable ChannelFuture lastWrite;
  private volatile boolean appAckExpected;
  private volatile boolean appAcked;

  NettyQuicStream(QuicStreamChannel channel, NettyQuicConnection connection) {
    this.channel = channel;
    this.connection = connection;
  }

  /** Counts and releases what reaches the end of the stream's pipeline; sees its FIN. */
  ChannelInboundHandlerAdapter reader() {
    return new ChannelInboundHandlerAdapter() {
      @Override
      public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ByteBuf b) {
          int n = b.readableBytes();
          read.addAndGet(n);
          connection.countRead(n);
        }
        io.netty.util.ReferenceCountUtil.release(msg);
      }

      @Override
      public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof ChannelInputShutdownEvent) {
          inputEnded.tryEmitValue(read.get());
        }
        super.userEventTriggered(ctx, evt);
      }

      @Override
      public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        inputEnded.tryEmitValue(read.get());
        endOutput(); // a closed stream sends nothing more
        super.channelInactive(ctx);
      }
    };
  }

  /**
   * Writes {@code data}, in order with earlier writes.
   *
   * @param data the bytes; copied
   * @return completes when quiche has taken every byte
   */
  public Mono<Void> write(ByteBuffer data) {
    return Mono.defer(
        () -> {
          ByteBuffer b = data.duplicate();
          int n = b.remaining();
          if (n == 0) {
            return Mono.empty();
          }
          writesPending.incrementAndGet();
          written.addAndGet(n);
          ChannelFuture f = channel.writeAndFlush(Unpooled.copiedBuffer(b));
          lastWrite = f;
          f.addListener(
              done -> {
                if (!done.isSuccess() && !reset) {
                  writeFailed = true; // its bytes never reach the peer: no drain can prove them
                }
                writesPending.decrementAndGet();
                connection.poke();
              });
          return future(f);
        });
  }

  /**
   * Concludes the stream normally: its FIN follows the data written before (SSL_stream_conclude),
   * once quiche has taken all of it. (Netty's codec would fail writes still queued when the output
   * shuts down, so the FIN waits for them.) If one of those writes failed, no FIN is sent: the peer
   * must not take a stream that lost data for a whole one.
   *
   * @return completes when the FIN was handed to quiche; an error if a write before it failed or
   *     the stream could not be concluded
   */
  public Mono<Void> conclude() {
    return Mono.defer(
        () -> {
          concluded = true;
          writesPending.incrementAndGet();
          ChannelPromise fin = channel.newPromise();
          fin.addListener(
              done -> {
                writesPending.decrementAndGet();
                endOutput();
                connection.poke();
              });
          ChannelFuture before = lastWrite;
          if (before == null) {
            channel.shutdownOutput(fin);
          } else {
            // writes complete in order: once the last one is done, every earlier one is
            before.addListener(
                done -> {
                  if (writeFailed) {
                    fin.tryFailure(
                        new java.io.IOException(
                            "stream "
                                + channel.streamId()
                                + " not concluded: a write before its FIN failed",
                            done.cause()));
                  } else {
                    channel.shutdownOutput(fin);
                  }
                });
          }
          return future(fin);
        });
  }

  /**
   * Resets the stream (RESET_STREAM): its unsent data is dropped and need not be drained.
   *
   * @param errorCode the application error code, in [0, 2^31 − 1] (Netty's codec carries an int)
   * @return completes when the reset was handed to quiche
   */
  public Mono<Void> reset(long errorCode) {
    if (errorCode < 0 || errorCode > NettyQuicEngine.MAX_NETTY_CODE) {
      return Mono.error(
          new IllegalArgumentException(
              "stream error code " + errorCode + " is outside [0, 2^31-1] for Netty's codec"));
    }
    return Mono.defer(
        () -> {
          reset = true;
          connection.poke();
          ChannelFuture f = channel.shutdownOutput((int) errorCode);
          endOutput();
          return future(f);
        });
  }

  private void endOutput() {
    synchronized (outputEnded) {
      outputEnded.tryEmitEmpty();
    }
  }

  /**
   * @return completes once this side of the stream is over: concluded, reset, or the stream channel
   *     closed
   */
  Mono<Void> outputEnded() {
    return outputEnded.asMono();
  }

  /**
   * @return the count of bytes read on this stream once its peer's side ended (FIN, reset or the
   *     connection's end); the bytes are released as they arrive, unless a handler before
   *     graceful's in the stream's pipeline keeps them
   */
  public Mono<Long> readAll() {
    return inputEnded.asMono();
  }

  /**
   * Q10: a stream is not shut down; its connection is.
   *
   * @param spec ignored
   * @return {@code ILLEGAL_STATE}, always
   */
  public Mono<ShutdownResult> shutdown(ShutdownSpec spec) {
    return Mono.error(
        new ShutdownException(
            ShutdownException.Reason.ILLEGAL_STATE,
            connection.connectionId() + " stream " + channel.streamId(),
            ShutdownState.NONE,
            "a QUIC stream is not shut down: conclude() or reset() it, or shut its connection down",
            null));
  }

  /**
   * Q11: streams have no shutdown state.
   *
   * @return empty, always
   */
  public Optional<ShutdownState> shutdownState() {
    return Optional.empty();
  }

  /**
   * The stream's drain ends when {@code ack} signals (any value or completion): for a peer
   * application that answers once it has read everything.
   *
   * @param ack the application's acknowledgement
   * @return this stream
   */
  public NettyQuicStream acknowledgedBy(org.reactivestreams.Publisher<?> ack) {
    appAckExpected = true;
    Mono.from(ack)
        .then(Mono.just(true))
        .onErrorReturn(false)
        .subscribe(
            ok -> {
              appAcked = ok;
              connection.poke();
            });
    return this;
  }

  /**
   * @return bytes written through this handle
   */
  public long bytesWritten() {
    return written.get();
  }

  /**
   * @return the Netty stream channel
   */
  public QuicStreamChannel channel() {
    return channel;
  }

  /**
   * @return the stream's id
   */
  public long streamId() {
    return channel.streamId();
  }

  private static Mono<Void> future(ChannelFuture f) {
    return Mono.create(
        sink ->
            f.addListener(
                done -> {
                  if (done.isSuccess()) {
                    sink.success();
                  } else {
                    sink.error(done.cause());
                  }
                }));
  }

  NettyQuicEngine.TrackedStream tracked() {
    return new NettyQuicEngine.TrackedStream() {
      @Override
      public long streamId() {
        return channel.streamId();
      }

      @Override
      public boolean isReset() {
        return reset;
      }

      @Override
      public boolean concluded() {
        return concluded;
      }

      @Override
      public boolean writeFailed() {
        return writeFailed;
      }

      @Override
      public int writesPending() {
        return writesPending.get();
      }

      @Override
      public long bytesWritten() {
        return written.get();
      }

      @Override
      public boolean applicationAckExpected() {
        return appAckExpected;
      }

      @Override
      public boolean applicationAcked() {
        return appAcked;
      }
    };
  }
}
