package dev.graceful.quic.internal;

import dev.graceful.core.CloseInfo;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import tech.kwik.core.ConnectionListener;
import tech.kwik.core.ConnectionTerminatedEvent;

/**
 * Listens to a Kwik client connection while it connects, to tell how a failed handshake was closed
 * (Q12): the CONNECTION_CLOSE this side sent (a TLS alert, as CRYPTO_ERROR 0x100 + alert, when it
 * refused the server's certificate) or the server's (no common application protocol, for one). Kwik
 * reports the end on its own callback thread, around the moment its {@code connect()} throws.
 */
public final class HandshakeClose implements ConnectionListener {
  private final CompletableFuture<CloseInfo> close = new CompletableFuture<>();

  /** Not ended yet. */
  public HandshakeClose() {}

  @Override
  public void disconnected(ConnectionTerminatedEvent event) {
    close.complete(Termination.of(event));
  }

  /**
   * Waits up to {@code bound} for Kwik's report. Blocks: call off any loop.
   *
   * @param bound how long to wait
   * @return how the connection was closed, if Kwik reported it in time
   */
  public Optional<CloseInfo> await(Duration bound) {
    try {
      return Optional.of(close.get(bound.toNanos(), TimeUnit.NANOSECONDS));
    } catch (TimeoutException | ExecutionException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }

  /**
   * @return how the connection was closed, if Kwik reported it already
   */
  public Optional<CloseInfo> now() {
    return Optional.ofNullable(close.getNow(null));
  }
}
