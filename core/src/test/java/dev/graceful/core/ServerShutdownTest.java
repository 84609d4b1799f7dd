package dev.graceful.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graceful.core.spi.ShutdownCoordinator;
import dev.graceful.core.spi.ShutdownRequest;
import dev.graceful.core.spi.Step;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.test.scheduler.VirtualTimeScheduler;

/** G1–G5 on virtual time, with connections whose peers answer after a scripted delay. */
class ServerShutdownTest {
  final VirtualTimeScheduler time = VirtualTimeScheduler.create();
  final List<String> log = new CopyOnWriteArrayList<>();

  @AfterEach
  void dispose() {
    time.dispose();
  }

  /** A connection whose peer answers our close after {@code answer} (never when null). */
  class Scripted implements Shutdownable {
    final String id;
    final Duration answer;
    final ShutdownException.Reason fails;
    final List<ShutdownSpec> specs = new ArrayList<>();
    volatile long startedAtMs = -1;

    Scripted(String id, Duration answer) {
      this(id, answer, null);
    }

    Scripted(String id, Duration answer, ShutdownException.Reason fails) {
      this.id = id;
      this.answer = answer;
      this.fails = fails;
    }

    @Override
    public Mono<ShutdownResult> shutdown(ShutdownSpec spec) {
      return Mono.defer(
          () -> {
            specs.add(spec);
            startedAtMs = time.now(java.util.concurrent.TimeUnit.MILLISECONDS);
            log.add("shutdown " + id + " " + spec.mode());
            if (fails != null) {
              return Mono.error(
                  new ShutdownException(fails, id, ShutdownState.SENT, "scripted", null));
            }
            if (spec.mode() == ShutdownMode.FAST) {
              return Mono.just(result(Outcome.SENT, ShutdownState.SENT));
            }
            Mono<ShutdownResult> answered =
                answer == null
                    ? Mono.never()
                    : Mono.delay(answer, spec.scheduler())
                        .map(x -> result(Outcome.COMPLETE, ShutdownState.SENT_AND_RECEIVED));
            if (spec.timeout().isEmpty()) {
              return answered;
            }
            Mono<ShutdownResult> timedOut =
                Mono.error(
                    new ShutdownException(
                        ShutdownException.Reason.TIMEOUT,
                        id,
                        ShutdownState.SENT,
                        "no answer",
                        null));
            return answered.timeout(spec.timeout().get(), timedOut, spec.scheduler());
          });
    }

    ShutdownResult result(Outcome o, ShutdownState s) {
      return ShutdownResult.builder(id)
          .outcome(o)
          .state(s)
          .initiator(Initiator.LOCAL)
          .mode(ShutdownMode.BIDIRECTIONAL)
          .elapsed(Duration.ZERO)
          .build();
    }

    @Override
    public ShutdownState shutdownState() {
      return ShutdownState.NONE;
    }

    @Override
    public String connectionId() {
      return id;
    }
  }

  ServerShutdown shutdown() {
    return ServerShutdown.of(ShutdownSpec.bidirectional())
        .deadline(Duration.ofSeconds(10))
        .scheduler(time);
  }

  Mono<Void> stopAccepting() {
    return Mono.fromRunnable(() -> log.add("stop accepting"));
  }

  // G1, G3: accepting stops first; then every connection is shut down concurrently: 1,000
  // connections answering after 1 s take 1 s in all, not 1,000 s.
  @Tag("G1")
  @Tag("G3")
  @Test
  void stopsAcceptingFirstThenShutsAllDownConcurrently() {
    List<ServerShutdown.Member> members = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      members.add(ServerShutdown.Member.of(new Scripted("c" + i, Duration.ofSeconds(1))));
    }
    CompletableFuture<ShutdownReport> f = shutdown().run(stopAccepting(), members).toFuture();
    assertThat(log.get(0)).isEqualTo("stop accepting");
    assertThat(log).hasSize(1001);
    time.advanceTimeBy(Duration.ofSeconds(1));
    ShutdownReport r = f.join();
    assertThat(r.connections()).isEqualTo(1000);
    assertThat(r.outcomes()).isEqualTo(Map.of(Outcome.COMPLETE, 1000));
    assertThat(r.elapsed()).isEqualTo(Duration.ofSeconds(1));
    assertThat(r.clean()).isTrue();
  }

  // G2: the policy starts when the connection's exchanges are done, or when the grace period ends.
  @Tag("G2")
  @Test
  void gracePeriodWaitsForInFlightExchanges() {
    Scripted busy = new Scripted("busy", Duration.ofMillis(100));
    Scripted stuck = new Scripted("stuck", Duration.ofMillis(100));
    Sinks.Empty<Void> exchangeDone = Sinks.empty();
    var f =
        shutdown()
            .grace(Duration.ofSeconds(5))
            .run(
                stopAccepting(),
                List.of(
                    ServerShutdown.Member.of(busy, exchangeDone.asMono()),
                    ServerShutdown.Member.of(stuck, Mono.never())))
            .toFuture();
    time.advanceTimeBy(Duration.ofSeconds(2));
    assertThat(busy.startedAtMs).as("still in its exchange").isEqualTo(-1);
    exchangeDone.tryEmitEmpty();
    assertThat(busy.startedAtMs).isEqualTo(2000);
    time.advanceTimeBy(Duration.ofSeconds(3));
    assertThat(stuck.startedAtMs).as("the grace period ended").isEqualTo(5000);
    // the policy's timeout is what is left of the deadline
    assertThat(stuck.specs.get(0).timeout()).hasValue(Duration.ofSeconds(5));
    assertThat(busy.specs.get(0).timeout()).hasValue(Duration.ofSeconds(8));
    time.advanceTimeBy(Duration.ofMillis(100));
    assertThat(f.join().outcomes()).isEqualTo(Map.of(Outcome.COMPLETE, 2));
  }

  // G4, G5: a connection whose peer never answers is forced at the deadline (fast: SENT) and
  // named; errors are counted by reason; latencies are percentiles over all connections.
  @Tag("G4")
  @Tag("G5")
  @Test
  void stragglersAreForcedAtTheDeadlineAndNamed() {
    Scripted quick = new Scripted("quick", Duration.ofMillis(50));
    Scripted silent = new Scripted("silent", null);
    Scripted broken = new Scripted("broken", Duration.ZERO, ShutdownException.Reason.TRUNCATED);
    var f =
        shutdown()
            .run(
                stopAccepting(),
                List.of(
                    ServerShutdown.Member.of(quick),
                    ServerShutdown.Member.of(silent),
                    ServerShutdown.Member.of(broken)))
            .toFuture();
    time.advanceTimeBy(Duration.ofMillis(9_999));
    assertThat(f).isNotDone();
    time.advanceTimeBy(Duration.ofMillis(1));
    ShutdownReport r = f.join();
    assertThat(r.stragglers()).containsExactly("silent");
    assertThat(silent.specs)
        .extracting(ShutdownSpec::mode)
        .containsExactly(ShutdownMode.BIDIRECTIONAL, ShutdownMode.FAST);
    assertThat(r.outcomes()).isEqualTo(Map.of(Outcome.COMPLETE, 1, Outcome.SENT, 1));
    assertThat(r.errors()).isEqualTo(Map.of(ShutdownException.Reason.TRUNCATED, 1));
    assertThat(r.latency(50)).isEqualTo(Duration.ofMillis(50));
    assertThat(r.latency(100)).isEqualTo(Duration.ofSeconds(10));
    assertThat(r.clean()).isFalse();
    assertThat(r.elapsed()).isEqualTo(Duration.ofSeconds(10));
  }

  // G4 with a policy that has no deadline of its own (a wait for the peer): the deadline still ends
  // it.
  @Tag("G4")
  @Test
  void theDeadlineBoundsPoliciesWithoutTimeouts() {
    Scripted silent = new Scripted("silent", null);
    var f =
        ServerShutdown.of(ShutdownSpec.bidirectional().waitPeer())
            .deadline(Duration.ofSeconds(3))
            .scheduler(time)
            .run(Mono.empty(), List.of(ServerShutdown.Member.of(silent)))
            .toFuture();
    time.advanceTimeBy(Duration.ofSeconds(3));
    assertThat(f.join().stragglers()).containsExactly("silent");
  }

  // G4 backstop: a connection that ignores its timeout is still forced, just after the deadline.
  @Tag("G4")
  @Test
  void connectionsIgnoringTheirTimeoutAreForcedByTheBackstop() {
    Shutdownable deaf =
        new Scripted("deaf", null) {
          @Override
          public Mono<ShutdownResult> shutdown(ShutdownSpec spec) {
            return spec.mode() == ShutdownMode.FAST ? super.shutdown(spec) : Mono.never();
          }
        };
    var f =
        shutdown()
            .scheduler(time)
            .run(Mono.empty(), List.of(ServerShutdown.Member.of(deaf)))
            .toFuture();
    time.advanceTimeBy(Duration.ofSeconds(10));
    assertThat(f).isNotDone();
    time.advanceTimeBy(ServerShutdown.BACKSTOP);
    assertThat(f.join().stragglers()).containsExactly("deaf");
  }

  /** A real coordinator over an engine whose peer never answers: sends once, then waits forever. */
  static final class SilentPeer implements Shutdownable {
    final ShutdownCoordinator coordinator;
    final dev.graceful.core.spi.ShutdownEngine engine;

    SilentPeer() {
      engine =
          new dev.graceful.core.spi.ShutdownEngine() {
            volatile ShutdownState state = ShutdownState.NONE;

            @Override
            public String connectionId() {
              return "silent";
            }

            @Override
            public java.util.concurrent.Executor executor() {
              return Runnable::run;
            }

            @Override
            public ShutdownState state() {
              return state;
            }

            @Override
            public Step step(ShutdownRequest request) {
              state = state.with(ShutdownState.SENT);
              return request.mode() == ShutdownMode.FAST ? Step.SENT : Step.WANT_READ;
            }

            @Override
            public void awaitReadiness(Step want, Runnable onReady) {}

            @Override
            public void cancelReadiness(Runnable onReady) {}

            @Override
            public void closeTransport() {}

            @Override
            public ShutdownResult.Builder describe() {
              return ShutdownResult.builder("silent").state(state).initiator(Initiator.LOCAL);
            }
          };
      coordinator = new ShutdownCoordinator(engine);
    }

    @Override
    public Mono<ShutdownResult> shutdown(ShutdownSpec spec) {
      return coordinator.shutdown(spec);
    }

    @Override
    public ShutdownState shutdownState() {
      return engine.state();
    }

    @Override
    public String connectionId() {
      return "silent";
    }
  }

  // G4 with T12: the application's own shutdown of a member has no timeout and is still running
  // when the server shuts down. The server's shutdown of that member queues behind it, but its
  // deadline counts from its own subscription: the member is forced at the deadline and reported.
  @Tag("G4")
  @Tag("T12")
  @Test
  void aMemberStillRunningItsOwnShutdownWithoutTimeoutIsForcedAndReported() {
    SilentPeer member = new SilentPeer();
    member.shutdown(ShutdownSpec.bidirectional().noTimeout().scheduler(time)).subscribe();
    var f =
        ServerShutdown.of(ShutdownSpec.bidirectional())
            .deadline(Duration.ofSeconds(1))
            .scheduler(time)
            .run(Mono.empty(), List.of(ServerShutdown.Member.of(member)))
            .toFuture();
    time.advanceTimeBy(Duration.ofSeconds(1)); // the deadline: the forced fast() queues in turn
    assertThat(f).isNotDone();
    time.advanceTimeBy(Duration.ofSeconds(1)); // the forced shutdown's own 1 s bound
    ShutdownReport r = f.getNow(null);
    assertThat(r).as("a report, at the deadline plus the force's bound").isNotNull();
    assertThat(r.connections()).isEqualTo(1);
    assertThat(r.stragglers()).containsExactly("silent");
    assertThat(r.errors()).isEqualTo(Map.of(ShutdownException.Reason.TIMEOUT, 1));
    assertThat(r.elapsed()).isEqualTo(Duration.ofSeconds(2));
  }

  // G4: a connection that ignores the force's bound too is given up just after it, and reported.
  @Tag("G4")
  @Test
  void forcingThatIgnoresItsBoundIsGivenUpAndReported() {
    Shutdownable deaf =
        new Scripted("deaf", null) {
          @Override
          public Mono<ShutdownResult> shutdown(ShutdownSpec spec) {
            return Mono.never();
          }
        };
    var f = shutdown().run(Mono.empty(), List.of(ServerShutdown.Member.of(deaf))).toFuture();
    time.advanceTimeBy(
        Duration.ofSeconds(10).plus(ServerShutdown.BACKSTOP).plus(Duration.ofSeconds(1)));
    assertThat(f).isNotDone();
    time.advanceTimeBy(ServerShutdown.BACKSTOP);
    ShutdownReport r = f.getNow(null);
    assertThat(r).isNotNull();
    assertThat(r.stragglers()).containsExactly("deaf");
    assertThat(r.errors()).isEqualTo(Map.of(ShutdownException.Reason.TIMEOUT, 1));
  }

  // G3, R3: the grace period's end and the backstop are one timer each for the whole server, not
  // two per connection: 1,000 connections cost the scheduler two timed tasks.
  @Tag("R3")
  @Tag("G3")
  @Test
  void aThousandConnectionsShareTwoTimers() {
    dev.graceful.core.testkit.CountingScheduler counting =
        new dev.graceful.core.testkit.CountingScheduler(time);
    List<ServerShutdown.Member> members = new ArrayList<>();
    List<Sinks.Empty<Void>> exchanges = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      Sinks.Empty<Void> inFlight = Sinks.empty();
      exchanges.add(inFlight);
      // fast: the scripted connection answers at once and times nothing itself
      members.add(ServerShutdown.Member.of(new Scripted("c" + i, null), inFlight.asMono()));
    }
    var f =
        ServerShutdown.of(ShutdownSpec.bidirectional().fast())
            .grace(Duration.ofSeconds(2))
            .deadline(Duration.ofSeconds(10))
            .scheduler(counting)
            .run(Mono.empty(), members)
            .toFuture();
    exchanges.subList(0, 500).forEach(Sinks.Empty::tryEmitEmpty);
    time.advanceTimeBy(Duration.ofSeconds(2)); // the other 500 start at the grace period's end
    ShutdownReport r = f.join();
    assertThat(r.outcomes()).isEqualTo(Map.of(Outcome.SENT, 1000));
    assertThat(counting.scheduled.get()).isEqualTo(2);
    assertThat(counting.pending.get()).as("the backstop is withdrawn with the report").isZero();
  }

  // R5: contradictory settings fail at once with a clear message; nothing is run.
  @Tag("R5")
  @Test
  void contradictionsFailFast() {
    assertThatThrownBy(() -> shutdown().grace(Duration.ofSeconds(10)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("must end before the deadline");
    assertThatThrownBy(() -> shutdown().grace(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> shutdown().deadline(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new ShutdownReport(List.of(), Duration.ZERO).latency(0))
        .isInstanceOf(IllegalArgumentException.class);
  }

  // An empty server reports zero connections at once.
  @Tag("G5")
  @Test
  void emptyServer() {
    ShutdownReport r = shutdown().run(Mono.empty(), List.of()).block(Duration.ofSeconds(1));
    assertThat(r.connections()).isZero();
    assertThat(r.latency(99)).isZero();
    assertThat(r.clean()).isTrue();
  }

  // G1, G10: with a supplier, the members are read once stopping has completed (a server lets
  // handshakes under way settle first, and counts their connections too).
  @Tag("G1")
  @Tag("G10")
  @Test
  void membersAreReadOnceStoppingHasCompleted() {
    Sinks.Empty<Void> stopped = Sinks.empty();
    List<ServerShutdown.Member> members = new CopyOnWriteArrayList<>();
    var f =
        ServerShutdown.of(ShutdownSpec.bidirectional())
            .deadline(Duration.ofSeconds(10))
            .scheduler(time)
            .run(stopped.asMono(), () -> members)
            .toFuture();
    members.add(ServerShutdown.Member.of(new Scripted("late", Duration.ofMillis(200))));
    stopped.tryEmitEmpty();
    time.advanceTimeBy(Duration.ofMillis(200));
    ShutdownReport r = f.join();
    assertThat(r.outcomes()).isEqualTo(Map.of(Outcome.COMPLETE, 1));
    assertThat(r.elapsed()).isEqualTo(Duration.ofMillis(200));
  }

  // G4, G10: a stop that never completes does not hold the shutdown past its deadline: the
  // members known then are forced.
  @Tag("G4")
  @Tag("G10")
  @Test
  void stoppingThatHangsIsGivenUpAtTheDeadline() {
    Scripted c = new Scripted("c", Duration.ofSeconds(1));
    var f =
        ServerShutdown.of(ShutdownSpec.bidirectional())
            .deadline(Duration.ofSeconds(10))
            .scheduler(time)
            .run(Mono.never(), () -> List.of(ServerShutdown.Member.of(c)))
            .toFuture();
    time.advanceTimeBy(Duration.ofSeconds(10).plus(ServerShutdown.BACKSTOP));
    ShutdownReport r = f.join();
    assertThat(r.stragglers()).containsExactly("c");
    assertThat(r.outcomes()).isEqualTo(Map.of(Outcome.SENT, 1));
  }
}
