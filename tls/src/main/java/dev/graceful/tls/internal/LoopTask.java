package dev.graceful.tls.internal;

import dev.graceful.core.ShutdownException;
import dev.graceful.tls.internal.TlsEngine.Progress;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;
import reactor.core.scheduler.Scheduler;

/**
 * Drives one non-shutdown operation (handshake, write) on the engine's loop: run it, wait for the
 * readiness it asks for, run it again. Delegated TLS tasks (certificate checks, key agreement) run
 * on the engine's task executor ({@code Schedulers.boundedElastic()} by default), never on the
 * loop.
 */
public final class LoopTask implements Runnable {
  /** One attempt of the operation. */
  @FunctionalInterface
  public interface Attempt {
    /**
     * @return what the operation needs next
     * @throws IOException when it fails: a {@link ShutdownException}, or the JDK's {@code
     *     SSLHandshakeException} for a handshake
     */
    Progress attempt() throws IOException;
  }

  private static final Runnable NOTHING = () -> {};
  private static final Duration INITIAL_RETRANSMISSION = Duration.ofSeconds(1);
  private static final Duration MAX_RETRANSMISSION = Duration.ofSeconds(60);

  private final TlsEngine engine;
  private final Attempt attempt;
  private final MonoSink<Void> sink;
  private final Runnable onStart;
  private final Runnable onEnd;
  private boolean started;
  private boolean done;
  private Scheduler retransmissions; // DTLS handshakes only
  private Duration nextRetransmission;
  private Disposable retransmissionTimer;

  private LoopTask(
      TlsEngine engine, Attempt attempt, MonoSink<Void> sink, Runnable onStart, Runnable onEnd) {
    this.engine = engine;
    this.attempt = attempt;
    this.sink = sink;
    this.onStart = onStart;
    this.onEnd = onEnd;
  }

  /**
   * @param engine the connection
   * @param attempt the operation
   * @return a cold Mono running it to completion; cancelling it withdraws its readiness interest
   */
  public static Mono<Void> run(TlsEngine engine, Attempt attempt) {
    return run(engine, attempt, NOTHING, NOTHING);
  }

  /**
   * Runs the handshake; for DTLS, retransmits our last flight when the peer's does not arrive
   * within 1 s, doubling up to 60 s (RFC 6347 §4.2.4.1), on {@code timer}.
   *
   * @param engine the connection
   * @param timer where retransmission timers run
   * @return a cold Mono of the handshake
   */
  public static Mono<Void> handshake(TlsEngine engine, Scheduler timer) {
    return Mono.create(
        sink -> {
          LoopTask task = new LoopTask(engine, engine::handshake, sink, NOTHING, NOTHING);
          if (engine.isDatagram()) {
            task.retransmissions = timer;
            task.nextRetransmission = INITIAL_RETRANSMISSION;
          }
          sink.onDispose(() -> abandonOnLoop(engine, task));
          engine.executor().execute(task);
        });
  }

  /**
   * @param engine the connection
   * @param attempt the operation
   * @param onStart runs on the loop before the first attempt
   * @param onEnd runs on the loop once the operation ended: done, failed or cancelled after start
   * @return a cold Mono running it to completion
   */
  public static Mono<Void> run(
      TlsEngine engine, Attempt attempt, Runnable onStart, Runnable onEnd) {
    return Mono.create(
        sink -> {
          LoopTask task = new LoopTask(engine, attempt, sink, onStart, onEnd);
          sink.onDispose(() -> abandonOnLoop(engine, task));
          engine.executor().execute(task);
        });
  }

  /** Abandons {@code task} on its loop; a loop that has stopped runs nothing more, it included. */
  private static void abandonOnLoop(TlsEngine engine, LoopTask task) {
    try {
      engine.executor().execute(task::abandon);
    } catch (RejectedExecutionException stopped) {
      // the loop has stopped and runs nothing more, so nothing races this: end it here (its
      // retransmission timer included) and let the caller go on (a stopping server closes sockets)
      task.abandon();
    }
  }

  @Override
  public void run() {
    if (done) {
      return;
    }
    if (!started) {
      started = true;
      onStart.run();
    }
    cancelTimer();
    step(attempt);
  }

  private void step(Attempt what) {
    Progress p;
    try {
      p = what.attempt();
    } catch (IOException | RuntimeException e) {
      end();
      sink.error(e);
      return;
    } catch (VirtualMachineError e) {
      throw e;
    } catch (Error e) { // e.g. BlockHound's BlockingOperationError: report it, keep the loop
      end();
      engine.transport().cancelReadiness(this);
      sink.error(e);
      return;
    }
    switch (p) {
      case DONE -> {
        end();
        sink.success();
      }
      case WANT_READ -> {
        engine.awaitTransport(false, this);
        armRetransmission();
      }
      case WANT_WRITE -> engine.awaitTransport(true, this);
      case TASKS ->
          engine
              .delegatedTasks()
              .execute(
                  () -> {
                    engine.runDelegatedTasks();
                    try {
                      engine.executor().execute(this);
                    } catch (RejectedExecutionException stopped) {
                      abandon(); // the loop stopped during the handshake's tasks
                      sink.error(stopped);
                    }
                  });
      default -> throw new AssertionError(p);
    }
  }

  private void armRetransmission() {
    if (retransmissions == null || !engine.awaitsPeerFlight()) {
      return;
    }
    Duration wait = nextRetransmission;
    nextRetransmission =
        wait.multipliedBy(2).compareTo(MAX_RETRANSMISSION) > 0
            ? MAX_RETRANSMISSION
            : wait.multipliedBy(2);
    retransmissionTimer =
        retransmissions.schedule(
            () -> engine.executor().execute(this::retransmit),
            wait.toNanos(),
            TimeUnit.NANOSECONDS);
  }

  private void retransmit() {
    if (done || retransmissionTimer == null) {
      return;
    }
    retransmissionTimer = null;
    engine.transport().cancelReadiness(this);
    step(engine::retransmit);
  }

  private void cancelTimer() {
    if (retransmissionTimer != null) {
      retransmissionTimer.dispose();
      retransmissionTimer = null;
    }
  }

  private void end() {
    cancelTimer();
    done = true;
    if (started) {
      onEnd.run();
    }
  }

  private void abandon() {
    if (!done) {
      end();
      engine.transport().cancelReadiness(this);
    }
  }
}
