package dev.graceful.core.spi;

import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownSpec;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import reactor.core.CoreSubscriber;
import reactor.core.Scannable;
import reactor.core.publisher.Mono;

/**
 * A connection's one place for its running exchange. Subscribers of the same spec while it runs
 * share it; a different spec waits for it to end, then starts its own from the state it left
 * ("calling SSL_shutdown() again").
 */
final class ExchangeSlot {
  /** The name of every shutdown Mono, as {@code Scannable}, checkpoints and metrics show it. */
  static final String NAME = "graceful.shutdown";

  private final ShutdownEngine engine;
  private final AtomicReference<Exchange> current = new AtomicReference<>();

  /** @param engine the connection's engine */
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
      if (s.isCancelled()) {
        return;
      }
      Exchange running = current.get();
      if (running != null && !running.isOver()) {
        if (running.spec() == spec) {
          if (running.join(s)) {
            return;
          }
        } else if (running.whenOver(() -> attach(s, spec))) {
          return;
        }
        continue; // it ended meanwhile: look again
      }
      Exchange next = new Exchange(engine, spec);
      if (current.compareAndSet(running, next) && next.join(s)) {
        return;
      }
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

    /** @return this, through Reactor's assembly hooks (checkpoints, debug mode) */
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
      Exchange.Subscription s = new Exchange.Subscription(actual);
      actual.onSubscribe(s);
      slot.attach(s, spec);
    }
  }
}
