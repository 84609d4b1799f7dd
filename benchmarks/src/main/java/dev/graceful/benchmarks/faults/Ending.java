package dev.graceful.benchmarks.faults;

import dev.graceful.core.ShutdownException;
import dev.graceful.core.ShutdownResult;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import reactor.core.Exceptions;
import reactor.core.publisher.Mono;

/**
 * How a shutdown ended: a result, a {@link ShutdownException}, another error, or nothing within its
 * limit (hung).
 *
 * @param result the result, or null
 * @param error the typed error, or null
 * @param other any other error, or null
 * @param hung whether no terminal signal came within the limit
 * @param millis from subscription to the terminal signal (or to the limit)
 */
record Ending(
    ShutdownResult result, ShutdownException error, Throwable other, boolean hung, long millis) {
  /** How long past its own deadline a shutdown may take to end before it counts as hung. */
  static final Duration MARGIN = Duration.ofSeconds(3);

  /**
   * Subscribes and waits for the terminal signal, at most {@code deadline} plus {@link #MARGIN}; a
   * shutdown still running then is cancelled and reported hung.
   */
  static Ending await(Mono<ShutdownResult> shutdown, Duration deadline) {
    long t0 = System.nanoTime();
    CompletableFuture<ShutdownResult> f = shutdown.toFuture();
    try {
      ShutdownResult r = f.get(deadline.plus(MARGIN).toMillis(), TimeUnit.MILLISECONDS);
      return new Ending(r, null, null, false, since(t0));
    } catch (ExecutionException e) {
      Throwable t = Exceptions.unwrap(e.getCause());
      if (t instanceof ShutdownException se) {
        return new Ending(null, se, null, false, since(t0));
      }
      return new Ending(null, null, t, false, since(t0));
    } catch (TimeoutException e) {
      f.cancel(true);
      return new Ending(null, null, null, true, since(t0));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Ending(null, null, e, false, since(t0));
    }
  }

  private static long since(long t0) {
    return (System.nanoTime() - t0) / 1_000_000;
  }

  /**
   * @return the outcome with its flags ({@code COMPLETE}, {@code SENT+deadlineReached}, ...), the
   *     error's reason, the other error's class, {@code empty}, or {@code hung}
   */
  String label() {
    if (hung) {
      return "hung";
    }
    if (error != null) {
      return error.reason().name();
    }
    if (other != null) {
      return other.getClass().getSimpleName();
    }
    if (result == null) {
      return "empty";
    }
    StringBuilder b = new StringBuilder(result.outcome().name());
    if (result.unauthenticatedEof()) {
      b.append("+unauthenticatedEof");
    }
    if (result.deadlineReached()) {
      b.append("+deadlineReached");
    }
    if (result.truncationRisk()) {
      b.append("+truncationRisk");
    }
    if (result.drained() != null && result.protocol().equals("QUIC")) {
      b.append("+").append(result.drained());
    }
    return b.toString();
  }

  boolean isError(ShutdownException.Reason... reasons) {
    if (error == null) {
      return false;
    }
    for (ShutdownException.Reason r : reasons) {
      if (error.reason() == r) {
        return true;
      }
    }
    return false;
  }

  /** A description for an unexpected ending: the label, and the error's message. */
  String describe() {
    if (error != null) {
      return label() + " (" + error.getMessage() + ")";
    }
    if (other != null) {
      return label() + " (" + other + ")";
    }
    return label() + (result == null ? "" : " " + result);
  }
}
