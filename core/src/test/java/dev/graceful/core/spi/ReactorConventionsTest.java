package dev.graceful.core.spi;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graceful.core.Inbound;
import dev.graceful.core.Outcome;
import dev.graceful.core.ShutdownException;
import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownSpec;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscription;
import reactor.core.Scannable;
import reactor.core.observability.DefaultSignalListener;
import reactor.core.observability.SignalListener;
import reactor.core.observability.SignalListenerFactory;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;
import reactor.test.scheduler.VirtualTimeScheduler;
import reactor.util.context.Context;
import reactor.util.context.ContextView;
import reactor.util.function.Tuple2;
import reactor.util.function.Tuples;

/**
 * What a Reactor user expects of the shutdown Mono: it shows itself to {@code Scannable} (name,
 * tags, parent, and the subscription's {@code CANCELLED} / {@code TERMINATED}), so hooks,
 * checkpoints, BlockHound traces and metrics name it; and the subscriber's {@code Context} reaches
 * the spec's callbacks. No sockets: an engine that models the two close messages.
 */
class ReactorConventionsTest {
  static final Duration WAIT = Duration.ofSeconds(5);

  /**
   * The two-message engine of a TLS connection that hands one chunk to the policy when it reads.
   */
  static final class ReadingEngine extends ShutdownCoordinatorTest.TwoMessageEngine {
    final List<Inbound> seen = new CopyOnWriteArrayList<>();

    @Override
    public String protocolFamily() {
      return "TLS";
    }

    @Override
    public Step step(ShutdownRequest request) throws ShutdownException {
      seen.add(request.inbound());
      if (request.inbound() instanceof Inbound.Deliver d) {
        d.consumer().accept(ByteBuffer.wrap(new byte[] {1, 2, 3}).asReadOnlyBuffer());
      }
      return super.step(request);
    }
  }

  // R5: every shutdown Mono is named and tagged with its protocol and mode; its parent is the
  // shutdown itself, so a trace names it whatever operator wraps it.
  @Tag("R5")
  @Test
  void shutdownMonoIsNamedAndTaggedForScannable() {
    ShutdownCoordinator c = new ShutdownCoordinator(new ReadingEngine());
    Mono<ShutdownResult> m = c.shutdown(ShutdownSpec.bidirectional().waitPeer().noTimeout());

    Scannable scan = Scannable.from(m);
    assertThat(scan.isScanAvailable()).isTrue();
    assertThat(scan.name()).isEqualTo("graceful.shutdown");
    assertThat(scan.tags()).contains(Tuples.of("protocol", "TLS"), Tuples.of("mode", "wait-peer"));
    Scannable parent = scan.scan(Scannable.Attr.PARENT);
    assertThat(parent).isNotNull();
    assertThat(parent.scan(Scannable.Attr.RUN_STYLE)).isEqualTo(Scannable.Attr.RunStyle.ASYNC);
    assertThat(parent.stepName()).contains("wait-peer").contains("test");
    // a user's operators downstream still find the name
    assertThat(Scannable.from(m.timeout(WAIT).map(r -> r)).name()).isEqualTo("graceful.shutdown");
    assertThat(Scannable.from(c.shutdown(ShutdownSpec.bidirectional().fast())).tags())
        .contains(Tuples.of("mode", "fast"));
  }

  // R2: the subscription answers CANCELLED once cancelled, and the engine's wait is withdrawn.
  @Tag("R2")
  @Test
  void subscriptionReportsCancelled() {
    ShutdownCoordinatorTest.TwoMessageEngine engine = new ReadingEngine();
    Capture capture = new Capture();
    new ShutdownCoordinator(engine)
        .shutdown(ShutdownSpec.bidirectional().discardUnread().noTimeout())
        .subscribe(capture);
    Scannable s = Scannable.from(capture.subscription());
    assertThat(s.scan(Scannable.Attr.CANCELLED)).isFalse();
    assertThat(s.scan(Scannable.Attr.TERMINATED)).isFalse();

    capture.dispose();

    assertThat(s.scan(Scannable.Attr.CANCELLED)).isTrue();
    assertThat(engine.waiting).isEmpty();
  }

  // R2: TERMINATED after every ending: a result, and an error (here the deadline, on virtual time).
  @Tag("R2")
  @Test
  void subscriptionReportsTerminatedAfterResultAndAfterError() {
    ShutdownCoordinatorTest.TwoMessageEngine engine = new ReadingEngine();
    Capture done = new Capture();
    new ShutdownCoordinator(engine)
        .shutdown(ShutdownSpec.bidirectional().discardUnread().noTimeout())
        .subscribe(done);
    engine.answer();
    assertThat(done.result.get().outcome()).isEqualTo(Outcome.COMPLETE);
    assertThat(Scannable.from(done.subscription()).scan(Scannable.Attr.TERMINATED)).isTrue();
    assertThat(Scannable.from(done.subscription()).scan(Scannable.Attr.CANCELLED)).isFalse();

    VirtualTimeScheduler time = VirtualTimeScheduler.create();
    try {
      Capture failed = new Capture();
      new ShutdownCoordinator(new ReadingEngine())
          .shutdown(
              ShutdownSpec.bidirectional()
                  .discardUnread()
                  .timeout(Duration.ofSeconds(3))
                  .scheduler(time))
          .subscribe(failed);
      assertThat(Scannable.from(failed.subscription()).scan(Scannable.Attr.TERMINATED)).isFalse();
      time.advanceTimeBy(Duration.ofSeconds(3));
      assertThat(failed.error.get())
          .isInstanceOfSatisfying(
              ShutdownException.class,
              e -> assertThat(e.reason()).isEqualTo(ShutdownException.Reason.TIMEOUT));
      assertThat(Scannable.from(failed.subscription()).scan(Scannable.Attr.TERMINATED)).isTrue();
    } finally {
      time.dispose();
    }
  }

  // R1, T5: the data consumer sees the Context of the subscriber, read at subscription (cold);
  // the engine itself is handed a plain Deliver.
  @Tag("R1")
  @Test
  void readIntoContextualSeesTheSubscribersContext() {
    ReadingEngine engine = new ReadingEngine();
    List<String> seen = new CopyOnWriteArrayList<>();
    ShutdownSpec policy =
        ShutdownSpec.bidirectional()
            .noTimeout()
            .readIntoContextual(
                (buf, ctx) ->
                    seen.add(ctx.getOrDefault("request-id", "none") + ":" + buf.remaining()));
    Mono<ShutdownResult> m =
        new ShutdownCoordinator(engine)
            .shutdown(policy)
            .contextWrite(Context.of("request-id", "r-42"));
    assertThat(seen).as("nothing before subscription").isEmpty();

    StepVerifier.create(m)
        .then(engine::answer)
        .assertNext(r -> assertThat(r.outcome()).isEqualTo(Outcome.COMPLETE))
        .expectComplete()
        .verify(WAIT);

    assertThat(seen).contains("r-42:3");
    assertThat(engine.seen).allMatch(i -> i instanceof Inbound.Deliver);
  }

  // R5: a metrics listener (Reactor's tap, as reactor-core-micrometer's is) finds the name, the
  // tags and the subscriber's context.
  @Tag("R5")
  @Test
  void tapSeesNameTagsAndSubscriberContext() {
    ReadingEngine engine = new ReadingEngine();
    AtomicReference<String> name = new AtomicReference<>();
    List<Tuple2<String, String>> tags = new CopyOnWriteArrayList<>();
    AtomicReference<ContextView> context = new AtomicReference<>();
    List<String> signals = new CopyOnWriteArrayList<>();
    SignalListenerFactory<ShutdownResult, Void> metrics =
        new SignalListenerFactory<>() {
          @Override
          public Void initializePublisherState(Publisher<? extends ShutdownResult> source) {
            Scannable s = Scannable.from(source);
            name.set(s.name());
            s.tags().forEach(tags::add);
            return null;
          }

          @Override
          public SignalListener<ShutdownResult> createListener(
              Publisher<? extends ShutdownResult> source, ContextView listenerContext, Void state) {
            context.set(listenerContext);
            return new DefaultSignalListener<>() {
              @Override
              public void doOnNext(ShutdownResult value) {
                signals.add("next " + value.outcome());
              }

              @Override
              public void doOnComplete() {
                signals.add("complete");
              }
            };
          }
        };

    StepVerifier.create(
            new ShutdownCoordinator(engine)
                .shutdown(ShutdownSpec.bidirectional().discardUnread().noTimeout())
                .tap(metrics)
                .contextWrite(Context.of("trace", "t-7")))
        .then(engine::answer)
        .expectNextCount(1)
        .expectComplete()
        .verify(WAIT);

    assertThat(name).hasValue("graceful.shutdown");
    assertThat(tags).contains(Tuples.of("protocol", "TLS"), Tuples.of("mode", "bidirectional"));
    assertThat(context.get().<String>get("trace")).isEqualTo("t-7");
    assertThat(signals).containsExactly("next COMPLETE", "complete");
  }

  /** Keeps the subscription, the result and the error, for assertions on the test's thread. */
  static final class Capture extends BaseSubscriber<ShutdownResult> {
    final AtomicReference<ShutdownResult> result = new AtomicReference<>();
    final AtomicReference<Throwable> error = new AtomicReference<>();

    final AtomicReference<Subscription> subscription = new AtomicReference<>();

    /**
     * @return the shutdown's own subscription (BaseSubscriber forgets it once terminated)
     */
    Subscription subscription() {
      return subscription.get();
    }

    @Override
    protected void hookOnSubscribe(Subscription subscription) {
      this.subscription.set(subscription);
      subscription.request(1);
    }

    @Override
    protected void hookOnNext(ShutdownResult value) {
      result.set(value);
    }

    @Override
    protected void hookOnError(Throwable throwable) {
      error.set(throwable);
    }
  }
}
