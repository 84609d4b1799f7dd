package dev.graceful.core.spi;

import dev.graceful.core.Outcome;
import dev.graceful.core.ShutdownException;
import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownSpec;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceFieldUpdater;
import org.jspecify.annotations.Nullable;
import reactor.core.CoreSubscriber;
import reactor.core.Scannable;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * A connection's one place for its running exchange. Subscribers of the same spec while it runs
 * share it; a different spec waits for it to end, then starts its own from the state it left
 * ("calling SSL_shutdown() again"). Every subscription's deadline counts from that subscription:
 * one still waiting for its turn at its deadline ends then, and one whose turn comes runs with what
 * is left of it.
 */
final class ExchangeSlot {
  /** The name of every shutdown Mono, as {@code Scannable}, checkpoints and metrics show it. */
  static final String NAME = "graceful.shutdown";

  private final ShutdownEngine engine;
  private volatile Exchange current; // through CURRENT: no AtomicReference per connection

  private static final AtomicReferenceFieldUpdater<ExchangeSlot, Exchange> CURRENT =
      AtomicReferenceFieldUpdater.newUpdater(ExchangeSlot.class, Exchange.class, "current");

  /**
   * @param engine the connection's engine
   */
  ExchangeSlot(ShutdownEngine engine) {
    this.engine = Objects.requireNonNull(engine, "engine");
  }

  /**
   * @param spec the policy
   * @return the cold shutdown: each subscription joins the running exchange of this spec or starts
   *     one. As a {@link reactor.core.Scannable} it is named {@value #NAME}, tagged {@code
   *     protocol} (the engine's {@link ShutdownEngine#protocolFamily()}) and {@code mode} (the
   *     spec's mode, e.g. {@code wait-peer}); its parent is the shutdown itself
   */
  Mono<ShutdownResult> shutdown(ShutdownSpec spec) {
    Objects.requireNonNull(spec, "spec");
    // Mono.name/tag add no subscriber of their own: subscribers still subscribe to the shutdown
    return new ShutdownMono(this, spec)
        .assembled()
        .name(NAME)
        .tag("protocol", engine.protocolFamily())
        .tag("mode", spec.mode().cliName());
  }

  void attach(Exchange.Subscription s, ShutdownSpec spec) {
    for (; ; ) {
      if (s.isCancelled() || !s.waiting()) {
        return;
      }
      Exchange running = current;
      if (running != null && !running.isOver()) {
        if (running.spec() == spec) {
          if (running.join(s)) {
            return;
          }
        } else {
          // T12: it waits for the running exchange, but its deadline counts from its subscription
          armQueueTimer(s, spec);
          if (!s.waiting() || running.whenOver(() -> attach(s, spec))) {
            return;
          }
        }
        continue; // it ended meanwhile: look again
      }
      Exchange next = new Exchange(engine, spec);
      if (CURRENT.compareAndSet(this, running, next) && next.join(s)) {
        return;
      }
    }
  }

  /**
   * The first time {@code s} has to wait for another exchange to end, and its spec has a timeout:
   * arms what ends the wait at its deadline. The timer is withdrawn when its turn comes or when it
   * is cancelled.
   */
  private void armQueueTimer(Exchange.Subscription s, ShutdownSpec spec) {
    if (s.queued || spec.timeout().isEmpty()) {
      return;
    }
    s.queued = true;
    Scheduler clock = spec.scheduler();
    long delay = Math.max(0, s.deadlineAt - clock.now(TimeUnit.NANOSECONDS));
    try {
      s.queueTimer(clock.schedule(() -> expireQueued(s, spec), delay, TimeUnit.NANOSECONDS));
    } catch (RejectedExecutionException refused) {
      if (s.expire()) {
        s.error(refused); // the scheduler cannot time its deadline, as Mono.timeout would say
      }
    }
  }

  /**
   * The deadline of a subscription still waiting for its turn: it ends as its own exchange would
   * have at that deadline, SENT with {@code deadlineReached} if the spec settles and our close went
   * out (by the exchange it waited for), else a TIMEOUT error. The running exchange goes on.
   */
  private void expireQueued(Exchange.Subscription s, ShutdownSpec spec) {
    Duration timeout = spec.timeout().orElseThrow();
    if (spec.settlesAtDeadline() && engine.state().sent()) {
      Runnable settle =
          () -> {
            if (s.expire()) {
              s.succeed(
                  engine
                      .describe()
                      .outcome(Outcome.SENT)
                      .mode(spec.mode())
                      .elapsed(timeout)
                      .bytesRead(0)
                      .deadlineReached(true)
                      .build());
            }
          };
      try {
        engine.executor().execute(settle); // the engine describes itself on its own executor
        return;
      } catch (RejectedExecutionException gone) {
        // its loop is gone: a TIMEOUT, as below
      }
    }
    if (s.expire()) {
      s.error(
          new ShutdownException(
              ShutdownException.Reason.TIMEOUT,
              engine.connectionId(),
              engine.state(),
              "the shutdown did not end within "
                  + timeout
                  + ": it was still waiting behind another shutdown of the connection",
              null));
    }
  }

  /** The Mono handed to callers: cold, one object, no operator chain. */
  private static final class ShutdownMono extends Mono<ShutdownResult> implements Scannable {
    private final ExchangeSlot slot;
    private final ShutdownSpec spec;

    ShutdownMono(ExchangeSlot slot, ShutdownSpec spec) {
      this.slot = slot;
      this.spec = spec;
    }

    /**
     * @return this, through Reactor's assembly hooks (checkpoints, debug mode)
     */
    Mono<ShutdownResult> assembled() {
      return onAssembly(this);
    }

    @Override
    @SuppressWarnings("rawtypes") // Scannable declares it with the raw type
    public @Nullable Object scanUnsafe(Attr key) {
      return key == Attr.RUN_STYLE ? Attr.RunStyle.ASYNC : null;
    }

    @Override
    public String stepName() {
      return "graceful.shutdown(" + spec.mode().cliName() + ", " + slot.engine.connectionId() + ")";
    }

    @Override
    public void subscribe(CoreSubscriber<? super ShutdownResult> actual) {
      // T12, R3: every subscription's deadline counts from here, even one that waits its turn
      Exchange.Subscription s = new Exchange.Subscription(actual, StepDriver.deadlineFromNow(spec));
      actual.onSubscribe(s);
      slot.attach(s, spec);
    }
  }
}
