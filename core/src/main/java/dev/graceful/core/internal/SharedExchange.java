package dev.graceful.core.internal;

import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownSpec;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * One running exchange shared by every subscriber of the same spec. It starts with the first
 * subscriber and is cancelled when the last one cancels; a subscriber arriving after that gets
 * {@code null} from {@link #join()} and starts a new exchange.
 */
public final class SharedExchange {
  private final ShutdownSpec spec;
  private final Mono<ShutdownResult> source;
  private final Sinks.One<ShutdownResult> result = Sinks.one();
  private int subscribers; // guarded by this
  private Disposable upstream; // guarded by this
  private boolean cancelled; // guarded by this
  private boolean started; // guarded by this
  private volatile boolean over;

  /**
   * @param spec the policy this exchange runs
   * @param source the cold exchange
   */
  public SharedExchange(ShutdownSpec spec, Mono<ShutdownResult> source) {
    this.spec = spec;
    this.source = source;
  }

  /** @return the policy */
  public ShutdownSpec spec() {
    return spec;
  }

  /** @return true once the exchange ended, successfully, in error, or cancelled */
  public boolean isOver() {
    return over;
  }

  /** @return a Mono that completes (empty) when the exchange is over, whatever the ending */
  public Mono<Void> awaitEnd() {
    return result.asMono().onErrorResume(e -> Mono.empty()).then();
  }

  /** @return this exchange's result for one more subscriber, or null if it was cancelled */
  public Mono<ShutdownResult> join() {
    boolean first;
    synchronized (this) {
      if (cancelled) {
        return null;
      }
      subscribers++;
      first = !started;
      started = true;
    }
    if (first) {
      Disposable running =
          source.subscribe(
              v -> {
                over = true;
                result.tryEmitValue(v);
              },
              e -> {
                over = true;
                result.tryEmitError(e);
              },
              () -> {
                over = true;
                result.tryEmitEmpty(); // a no-op after a value; the answer of a no-block "not yet"
              });
      boolean cancelNow;
      synchronized (this) {
        upstream = running;
        cancelNow = cancelled;
      }
      if (cancelNow) {
        running.dispose();
      }
    }
    return result.asMono().doOnCancel(this::leave);
  }

  private void leave() {
    Disposable toCancel = null;
    boolean cancelledNow = false;
    synchronized (this) {
      subscribers--;
      if (subscribers == 0 && !over) {
        cancelled = true;
        cancelledNow = true;
        toCancel = upstream;
      }
    }
    if (cancelledNow) {
      over = true;
      if (toCancel != null) {
        toCancel.dispose();
      }
      result.tryEmitEmpty();
    }
  }
}
