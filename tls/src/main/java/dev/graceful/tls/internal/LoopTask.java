package dev.graceful.tls.internal;

import dev.graceful.core.ShutdownException;
import dev.graceful.tls.internal.TlsEngine.Progress;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;
import reactor.core.scheduler.Schedulers;

/**
 * Drives one non-shutdown operation (handshake, write) on the engine's loop: run it, wait for the
 * readiness it asks for, run it again. Delegated TLS tasks (certificate checks, key agreement) run
 * on {@code Schedulers.boundedElastic()}, never on the loop.
 */
public final class LoopTask implements Runnable {
  /** One attempt of the operation. */
  @FunctionalInterface
  public interface Attempt {
    /**
     * @return what the operation needs next
     * @throws ShutdownException when it fails
     */
    Progress attempt() throws ShutdownException;
  }

  private final TlsEngine engine;
  private final Attempt attempt;
  private final MonoSink<Void> sink;
  private boolean done;

  private LoopTask(TlsEngine engine, Attempt attempt, MonoSink<Void> sink) {
    this.engine = engine;
    this.attempt = attempt;
    this.sink = sink;
  }

  /**
   * @param engine the connection
   * @param attempt the operation
   * @return a cold Mono running it to completion; cancelling it withdraws its readiness interest
   */
  public static Mono<Void> run(TlsEngine engine, Attempt attempt) {
    return Mono.create(
        sink -> {
          LoopTask task = new LoopTask(engine, attempt, sink);
          sink.onDispose(() -> engine.executor().execute(task::abandon));
          engine.executor().execute(task);
        });
  }

  @Override
  public void run() {
    if (done) {
      return;
    }
    Progress p;
    try {
      p = attempt.attempt();
    } catch (ShutdownException | RuntimeException e) {
      done = true;
      sink.error(e);
      return;
    } catch (VirtualMachineError e) {
      throw e;
    } catch (Error e) { // e.g. BlockHound's BlockingOperationError: report it, keep the loop
      done = true;
      engine.transport().cancelReadiness();
      sink.error(e);
      return;
    }
    switch (p) {
      case DONE -> {
        done = true;
        sink.success();
      }
      case WANT_READ -> engine.transport().awaitReadiness(false, this);
      case WANT_WRITE -> engine.transport().awaitReadiness(true, this);
      case TASKS ->
          Schedulers.boundedElastic()
              .schedule(
                  () -> {
                    engine.runDelegatedTasks();
                    engine.executor().execute(this);
                  });
      default -> throw new AssertionError(p);
    }
  }

  private void abandon() {
    if (!done) {
      done = true;
      engine.transport().cancelReadiness();
    }
  }
}
