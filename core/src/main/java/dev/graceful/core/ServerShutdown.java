package dev.graceful.core;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import reactor.core.Disposable;
import reactor.core.Exceptions;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * A graceful server shutdown (G1–G5), immutable and reusable: stop accepting; give each connection
 * a grace period to finish its in-flight exchanges; apply one policy to every open connection
 * concurrently (each shutdown runs on the loop that owns its connection); at the deadline force the
 * stragglers with the force spec and name them; report every ending.
 *
 * <pre>{@code
 * ServerShutdown.of(ShutdownSpec.bidirectional())
 *     .grace(Duration.ofSeconds(5))
 *     .deadline(Duration.ofSeconds(10))
 *     .run(server.stopAccepting(), members)   // Mono<ShutdownReport>
 * }</pre>
 */
public final class ServerShutdown {
  /** One open connection, and when its in-flight exchanges are done (G2). */
  public interface Member {
    /**
     * @return the connection
     */
    Shutdownable connection();

    /**
     * @return completes when the connection has no exchange in flight (a response being written, a
     *     request being read); empty when the server has no such notion
     */
    default Mono<Void> idle() {
      return Mono.empty();
    }

    /**
     * @param c a connection without a notion of exchanges
     * @return it as a member
     */
    static Member of(Shutdownable c) {
      Objects.requireNonNull(c, "connection");
      return () -> c;
    }

    /**
     * @param c a connection
     * @param idle completes when its in-flight exchanges are done
     * @return it as a member
     */
    static Member of(Shutdownable c, Mono<Void> idle) {
      Objects.requireNonNull(c, "connection");
      Objects.requireNonNull(idle, "idle");
      return new Member() {
        @Override
        public Shutdownable connection() {
          return c;
        }

        @Override
        public Mono<Void> idle() {
          return idle;
        }
      };
    }
  }

  /** How long after the deadline a connection that ignores its timeout is forced anyway. */
  static final Duration BACKSTOP = Duration.ofMillis(100);

  private final ShutdownSpec policy;
  private final ShutdownSpec force;
  private final Duration grace;
  private final Duration deadline;
  private final Scheduler scheduler;

  private ServerShutdown(
      ShutdownSpec policy,
      ShutdownSpec force,
      Duration grace,
      Duration deadline,
      Scheduler scheduler) {
    this.policy = policy;
    this.force = force;
    this.grace = grace;
    this.deadline = deadline;
    this.scheduler = scheduler;
  }

  /**
   * @param policy what every connection's shutdown does (its own timeout is replaced by what is
   *     left of the deadline)
   * @return a server shutdown: no grace period, a 30 s deadline, stragglers forced with {@code
   *     fast()} (rapid for QUIC) bounded by 1 s
   */
  public static ServerShutdown of(ShutdownSpec policy) {
    Objects.requireNonNull(policy, "policy");
    return new ServerShutdown(
        policy,
        ShutdownSpec.bidirectional().fast().noStreamFlush().timeout(Duration.ofSeconds(1)),
        Duration.ZERO,
        Duration.ofSeconds(30),
        Schedulers.parallel());
  }

  /**
   * G2.
   *
   * @param grace how long in-flight exchanges may take before the policy starts anyway; zero or
   *     more
   * @return this shutdown with that grace period
   */
  public ServerShutdown grace(Duration grace) {
    Objects.requireNonNull(grace, "grace");
    if (grace.isNegative()) {
      throw new IllegalArgumentException("grace period must not be negative: " + grace);
    }
    checkOrder(grace, deadline);
    return new ServerShutdown(policy, force, grace, deadline, scheduler);
  }

  /**
   * G4.
   *
   * @param deadline from the start: when every connection still shutting down is forced; longer
   *     than the grace period
   * @return this shutdown with that deadline
   */
  public ServerShutdown deadline(Duration deadline) {
    Objects.requireNonNull(deadline, "deadline");
    if (deadline.isNegative() || deadline.isZero()) {
      throw new IllegalArgumentException("deadline must be positive: " + deadline);
    }
    checkOrder(grace, deadline);
    return new ServerShutdown(policy, force, grace, deadline, scheduler);
  }

  /**
   * @param force how stragglers are ended at the deadline (its own timeout bounds it)
   * @return this shutdown with that force spec
   */
  public ServerShutdown force(ShutdownSpec force) {
    return new ServerShutdown(
        policy, Objects.requireNonNull(force, "force"), grace, deadline, scheduler);
  }

  /**
   * R3.
   *
   * @param scheduler the clock for the grace period, the deadline and every connection's timers
   * @return this shutdown on that clock
   */
  public ServerShutdown scheduler(Scheduler scheduler) {
    return new ServerShutdown(
        policy, force, grace, deadline, Objects.requireNonNull(scheduler, "scheduler"));
  }

  /**
   * @return the clock of the grace period, the deadline and every timer a server runs for this
   *     shutdown
   */
  public Scheduler scheduler() {
    return scheduler;
  }

  private static void checkOrder(Duration grace, Duration deadline) {
    if (grace.compareTo(deadline) >= 0) {
      throw new IllegalArgumentException(
          "the grace period (" + grace + ") must end before the deadline (" + deadline + ")");
    }
  }

  /**
   * Runs the shutdown: subscribes {@code stopAccepting} first (G1), then shuts every member down
   * concurrently (G3). Cold: nothing happens before subscription.
   *
   * @param stopAccepting stops the server accepting; its failure fails the whole shutdown
   * @param members the open connections
   * @return the report (G5), once every connection has ended
   */
  public Mono<ShutdownReport> run(Mono<Void> stopAccepting, Collection<? extends Member> members) {
    Objects.requireNonNull(members, "members");
    return run(stopAccepting, () -> members);
  }

  /**
   * As {@link #run(Mono, Collection)}, reading the members once {@code stopAccepting} has
   * completed: a server whose stopping lets work under way settle (a TLS handshake that was in
   * progress) counts the connections that work produced. The report's elapsed time and the deadline
   * count from the subscription, stopping included; a {@code stopAccepting} still running just
   * after the deadline is given up (the shutdown goes on with the members known then, which are
   * forced at once).
   *
   * @param stopAccepting stops the server accepting; its failure fails the whole shutdown
   * @param members the open connections, asked once
   * @return the report (G5), once every connection has ended
   */
  public Mono<ShutdownReport> run(
      Mono<Void> stopAccepting, Supplier<? extends Collection<? extends Member>> members) {
    Objects.requireNonNull(stopAccepting, "stopAccepting");
    Objects.requireNonNull(members, "members");
    return Mono.defer(
        () -> {
          long start = scheduler.now(TimeUnit.NANOSECONDS);
          // one timer each for the grace period's end and the backstop, shared by every member,
          // rather than two scheduled tasks per connection (a server may hold tens of thousands)
          SharedTimer graceEnd = grace.isZero() ? null : new SharedTimer(grace, scheduler);
          SharedTimer backstop = new SharedTimer(deadline.plus(BACKSTOP), scheduler);
          // forcing that ignores its own bound is given up just after it: armed by the first
          // straggler only, since a server whose connections all end in time needs none
          Supplier<Mono<Void>> forceEnd =
              force.timeout().isEmpty()
                  ? Mono::never
                  : new LazyTimer(
                      start,
                      deadline.plus(BACKSTOP).plus(force.timeout().get()).plus(BACKSTOP),
                      scheduler);
          return stopAccepting
              // bounded by the shared backstop: no timer of its own
              .timeout(backstop.fired(), Mono.empty())
              .thenMany(
                  Flux.defer(
                      () -> {
                        List<? extends Member> all =
                            List.copyOf(Objects.requireNonNull(members.get(), "members"));
                        return Flux.fromIterable(all)
                            .flatMap(
                                m ->
                                    one(
                                        m,
                                        start,
                                        graceEnd == null ? null : graceEnd.fired(),
                                        backstop.fired(),
                                        forceEnd),
                                Math.max(1, all.size()));
                      }))
              .collectList()
              .map(entries -> new ShutdownReport(entries, since(start)))
              .doFinally(
                  signal -> {
                    // nothing left waiting on the scheduler once the report is out
                    backstop.cancel();
                    if (graceEnd != null) {
                      graceEnd.cancel();
                    }
                    if (forceEnd instanceof LazyTimer t) {
                      t.cancel();
                    }
                  });
        });
  }

  /** One timed task on the scheduler, started now, whose firing any number of members await. */
  private static final class SharedTimer {
    private final Sinks.Empty<Void> fired = Sinks.empty();
    private final Disposable task;

    SharedTimer(Duration after, Scheduler scheduler) {
      task = Mono.delay(after, scheduler).subscribe(v -> fired.tryEmitEmpty(), fired::tryEmitError);
    }

    /**
     * @return completes when the timer fires (errors if the scheduler refused it)
     */
    Mono<Void> fired() {
      return fired.asMono();
    }

    void cancel() {
      task.dispose();
    }
  }

  /**
   * A {@link SharedTimer} for an instant counted from the start, armed by the first member that
   * asks for it.
   */
  private static final class LazyTimer implements Supplier<Mono<Void>> {
    private final long start;
    private final Duration after;
    private final Scheduler scheduler;
    private SharedTimer timer; // guarded by this
    private boolean cancelled; // guarded by this

    LazyTimer(long start, Duration after, Scheduler scheduler) {
      this.start = start;
      this.after = after;
      this.scheduler = scheduler;
    }

    @Override
    public synchronized Mono<Void> get() {
      if (cancelled) {
        return Mono.empty();
      }
      if (timer == null) {
        Duration left = after.minusNanos(scheduler.now(TimeUnit.NANOSECONDS) - start);
        timer = new SharedTimer(left.isNegative() ? Duration.ZERO : left, scheduler);
      }
      return timer.fired();
    }

    synchronized void cancel() {
      cancelled = true;
      if (timer != null) {
        timer.cancel();
      }
    }
  }

  private Duration since(long startNanos) {
    return Duration.ofNanos(scheduler.now(TimeUnit.NANOSECONDS) - startNanos);
  }

  private Mono<ShutdownReport.Entry> one(
      Member m,
      long start,
      Mono<Void> graceEnd,
      Mono<Void> backstop,
      Supplier<Mono<Void>> forceEnd) {
    Shutdownable c = m.connection();
    Mono<ShutdownReport.Entry> forced =
        Mono.defer(() -> c.shutdown(force.scheduler(scheduler)))
            // bounded by its own timeout; this only catches a connection that does not honour it
            .timeout(Mono.defer(forceEnd), Mono.error(() -> forcingTimedOut(c)))
            .map(r -> entry(c, Optional.of(r), Optional.empty(), true, start))
            .onErrorResume(
                e ->
                    Mono.just(
                        entry(
                            c, Optional.empty(), Optional.of(asShutdownError(c, e)), true, start)));
    Mono<Void> idle =
        graceEnd == null
            ? Mono.empty()
            : m.idle().timeout(graceEnd, Mono.empty()).onErrorResume(e -> Mono.empty());
    Mono<ShutdownReport.Entry> policed =
        idle.then(
                Mono.defer(
                    () -> {
                      Duration left = deadline.minus(since(start));
                      if (left.isNegative() || left.isZero()) {
                        return Mono.error(new java.util.concurrent.TimeoutException());
                      }
                      return c.shutdown(policy.timeout(left).scheduler(scheduler));
                    }))
            .map(r -> entry(c, Optional.of(r), Optional.empty(), false, start))
            .onErrorResume(
                e ->
                    !(Exceptions.unwrap(e) instanceof java.util.concurrent.TimeoutException)
                        && !isTimeout(e),
                e ->
                    Mono.just(
                        entry(
                            c, Optional.empty(), Optional.of(asShutdownError(c, e)), false, start)))
            // the policy's own timeout ends it at the deadline; this one only catches a connection
            // that does not honour its timeout (a moment later, so the two never race)
            .timeout(backstop)
            .onErrorResume(e -> forced);
    return policed;
  }

  private ShutdownException forcingTimedOut(Shutdownable c) {
    return new ShutdownException(
        ShutdownException.Reason.TIMEOUT,
        c.connectionId(),
        c.shutdownState(),
        "forcing the connection did not end within " + force.timeout().orElseThrow() + "; given up",
        null);
  }

  private static boolean isTimeout(Throwable e) {
    return Exceptions.unwrap(e) instanceof ShutdownException s
        && s.reason() == ShutdownException.Reason.TIMEOUT;
  }

  private ShutdownReport.Entry entry(
      Shutdownable c,
      Optional<ShutdownResult> r,
      Optional<ShutdownException> e,
      boolean forced,
      long start) {
    return new ShutdownReport.Entry(c.connectionId(), r, e, forced, since(start));
  }

  private static ShutdownException asShutdownError(Shutdownable c, Throwable t) {
    Throwable u = Exceptions.unwrap(t);
    if (u instanceof ShutdownException s) {
      return s;
    }
    return new ShutdownException(
        ShutdownException.Reason.TRANSPORT,
        c.connectionId(),
        c.shutdownState(),
        String.valueOf(u),
        u);
  }
}
