package dev.graceful.quic;

import dev.graceful.core.ShutdownException;
import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.core.ShutdownState;
import dev.graceful.quic.internal.KwikEngine;
import java.nio.ByteBuffer;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import tech.kwik.core.QuicStream;

/**
 * A QUIC stream whose writes a connection shutdown drains (Q5). Streams are ended by {@link
 * #conclude()} (FIN) or {@link #reset(long)} (RESET_STREAM), never shut down (Q10). Kwik's stream
 * writes block while its send buffer is full, so they run on {@code Schedulers.boundedElastic()}.
 *
 * <p>Kwik's lost wakeup (0.10.7+) can stop a stream's sender at any time, not only during a
 * shutdown: a write would then block for good, and data it already buffered would never leave. From
 * a write or conclude through this handle until the stream has sent everything, the connection's
 * loop looks at the stream's progress every 10 ms and restarts a stalled sender (backing off to 640
 * ms while restarts bring no progress, as under a peer's flow control). Writes made on {@link
 * #kwik()}'s stream directly are not watched.
 */
public final class QuicStreamHandle {
  private final QuicStream stream;
  private final QuicConnection connection;
  private final AtomicInteger writesInFlight = new AtomicInteger();
  private final AtomicLong written = new AtomicLong();
  private volatile boolean reset;
  private volatile boolean writeFailed;

  /** Completes when the last write or conclude subscribed has ended: the next one goes after it. */
  private final java.util.concurrent.atomic.AtomicReference<
          java.util.concurrent.CompletableFuture<Void>>
      last =
          new java.util.concurrent.atomic.AtomicReference<>(
              java.util.concurrent.CompletableFuture.completedFuture(null));

  private volatile boolean appAckExpected;
  private volatile boolean appAcked;
  private final reactor.core.publisher.Sinks.Empty<Void> outputEnded =
      reactor.core.publisher.Sinks.empty();

  QuicStreamHandle(QuicStream stream, QuicConnection connection) {
    this.stream = stream;
    this.connection = connection;
  }

  /**
   * Writes {@code data} after every write (and before any conclude) of this handle subscribed
   * earlier, in the order of subscription: the application need not wait for one to end before it
   * subscribes the next. Never zero-length: Kwik's lost wakeup gets worse with empty writes, so
   * they are skipped.
   *
   * <p>Once a shutdown other than a peer wait has begun (its drain or its close), or the connection
   * has ended, the write fails with {@code ILLEGAL_STATE} and nothing is written: no data is queued
   * behind the close. A peer wait lets writes go on, as OpenSSL's does.
   *
   * @param data the bytes; not changed until the Mono completes
   * @return completes when Kwik has buffered every byte
   */
  public Mono<Void> write(ByteBuffer data) {
    // Counted as in flight when subscribed, before the hop off the caller's thread, so a shutdown
    // subscribed right after it already waits for it.
    // A shutdown marks the connection refusing before its drain looks at the writes in flight:
    // either this write sees the mark and is refused, or the drain sees it in flight and waits.
    return Mono.defer(
        () -> {
          writesInFlight.incrementAndGet();
          if (connection.refusing()) {
            writesInFlight.decrementAndGet();
            return Mono.error(
                connection.refused("nothing is written once the connection's shutdown has begun"));
          }
          connection.sending();
          return inTurn(writeNow(data))
              .doOnError(
                  e -> {
                    if (!reset) {
                      writeFailed = true; // bytes the peer will never get: no FIN may follow
                    }
                  })
              .doFinally(s -> writesInFlight.decrementAndGet());
        });
  }

  /**
   * @return {@code op}, started once the write or conclude subscribed before it has ended (whatever
   *     its end), and ending the turn of the next one when it ends
   */
  private Mono<Void> inTurn(Mono<Void> op) {
    return Mono.defer(
        () -> {
          java.util.concurrent.CompletableFuture<Void> mine =
              new java.util.concurrent.CompletableFuture<>();
          java.util.concurrent.CompletableFuture<Void> before = last.getAndSet(mine);
          return Mono.fromFuture(before.exceptionally(e -> null), false)
              .then(op)
              .doFinally(s -> mine.complete(null));
        });
  }

  private Mono<Void> writeNow(ByteBuffer data) {
    return Mono.<Void>fromCallable(
            () -> {
              ByteBuffer b = data.duplicate();
              int n = b.remaining();
              if (n == 0) {
                return null;
              }
              byte[] bytes = new byte[n];
              b.get(bytes);
              stream.getOutputStream().write(bytes);
              written.addAndGet(n);
              return null;
            })
        .subscribeOn(Schedulers.boundedElastic());
  }

  /**
   * Concludes the stream normally (SSL_stream_conclude): its FIN follows every write of this handle
   * subscribed before, once they have ended. If one of them failed, no FIN is sent: the peer must
   * not take a stream that lost data for a whole one.
   *
   * @return completes when Kwik has the FIN; an error if a write before it failed
   */
  public Mono<Void> conclude() {
    return inTurn(
            Mono.<Void>fromCallable(
                    () -> {
                      if (writeFailed) {
                        throw new java.io.IOException(
                            "stream "
                                + stream.getStreamId()
                                + " not concluded: a write before its FIN failed");
                      }
                      stream.getOutputStream().close();
                      return null;
                    })
                .subscribeOn(Schedulers.boundedElastic()))
        .doOnSuccess(
            v -> {
              connection.concluded(); // the FIN can stall like data
              outputEnded.tryEmitEmpty();
            });
  }

  /**
   * Resets the stream (RESET_STREAM, SSL_stream_reset): its unsent data is dropped and no drain
   * waits for it.
   *
   * @param errorCode the application error code, in [0, 2^62 − 1]
   * @return completes once the reset is queued
   */
  public Mono<Void> reset(long errorCode) {
    if (errorCode < 0 || errorCode > QuicCloseArguments.MAX_ERROR_CODE) {
      return Mono.error(
          new ShutdownException(
              ShutdownException.Reason.INVALID_ARGUMENT,
              String.valueOf(stream.getStreamId()),
              ShutdownState.NONE,
              "QUIC error code out of [0, 2^62-1]: " + errorCode,
              null));
    }
    return Mono.fromRunnable(
        () -> {
          reset = true;
          stream.resetStream(errorCode);
          outputEnded.tryEmitEmpty();
        });
  }

  /**
   * @return completes once this handle concluded or reset the stream: our side of it is over
   */
  Mono<Void> outputEnded() {
    return outputEnded.asMono();
  }

  /**
   * Reads everything the peer sends on this stream until its FIN, counting it for the connection.
   *
   * @return the number of bytes read
   */
  public Mono<Long> readAll() {
    return Mono.fromCallable(
            () -> {
              byte[] buf = new byte[16 * 1024];
              long total = 0;
              int n;
              while ((n = stream.getInputStream().read(buf)) >= 0) {
                total += n;
                connection.countRead(n);
              }
              return total;
            })
        .subscribeOn(Schedulers.boundedElastic());
  }

  /**
   * Q10: "SSL_shutdown() cannot be used on QUIC stream SSL objects".
   *
   * @param spec ignored
   * @return an {@code ILLEGAL_STATE} error, always
   */
  public Mono<ShutdownResult> shutdown(ShutdownSpec spec) {
    return Mono.error(
        new ShutdownException(
            ShutdownException.Reason.ILLEGAL_STATE,
            "stream " + stream.getStreamId(),
            ShutdownState.NONE,
            "shutdown is for connections; conclude() or reset() a stream",
            null));
  }

  /**
   * @return empty: Q11, "a stream reports no state"
   */
  public Optional<ShutdownState> shutdownState() {
    return Optional.empty();
  }

  /**
   * Q5 with the application's own acknowledgement, for protocols that have one (a reply that proves
   * the peer processed everything): a drain counts this stream as drained when {@code ack} emits or
   * completes, whatever Kwik's internals say, and also where they are unavailable (the module
   * path). If {@code ack} fails, the drain waits for it until its deadline ({@code drained:
   * "timeout"}).
   *
   * @param ack signals once the peer acknowledged everything written on this stream
   * @return this handle
   */
  public QuicStreamHandle acknowledgedBy(org.reactivestreams.Publisher<?> ack) {
    java.util.Objects.requireNonNull(ack, "ack");
    appAckExpected = true;
    Mono.from(ack).subscribe(v -> acknowledged(), e -> {}, this::acknowledged);
    return this;
  }

  private void acknowledged() {
    if (!appAcked) {
      appAcked = true;
      connection.poke();
    }
  }

  /**
   * @return bytes written through this handle
   */
  public long bytesWritten() {
    return written.get();
  }

  /**
   * @return the Kwik stream, for reading and for what graceful does not wrap
   */
  public QuicStream kwik() {
    return stream;
  }

  /**
   * @return the stream id
   */
  public int streamId() {
    return stream.getStreamId();
  }

  /** The engine's view of this stream. */
  KwikEngine.TrackedStream tracked() {
    return new KwikEngine.TrackedStream() {
      @Override
      public Object kwikStream() {
        return stream;
      }

      @Override
      public boolean isReset() {
        return reset;
      }

      @Override
      public int writesInFlight() {
        return writesInFlight.get();
      }

      @Override
      public boolean writeFailed() {
        return writeFailed;
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
