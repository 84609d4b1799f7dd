package dev.graceful.core.internal;

import dev.graceful.core.Outcome;
import dev.graceful.core.ShutdownException;
import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.core.spi.ShutdownEngine;
import dev.graceful.core.spi.ShutdownRequest;
import dev.graceful.core.spi.Step;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import reactor.core.publisher.MonoSink;
import reactor.core.scheduler.Scheduler;

/**
 * Runs one exchange on the engine's executor: step, and on WANT_READ / WANT_WRITE wait for
 * readiness and step again, as an application calls SSL_shutdown() again after SSL_ERROR_WANT_*.
 * Confined to the executor: fields are touched only there.
 */
final class StepDriver {
  private final ShutdownEngine engine;
  private final ShutdownRequest request;
  private final MonoSink<ShutdownResult> sink;
  private final Scheduler clock;
  private long startNanos;
  private long startBytesRead;
  private boolean started;
  private boolean finished;
  private final Runnable again = this::step;

  StepDriver(ShutdownEngine engine, ShutdownSpec spec, MonoSink<ShutdownResult> sink) {
    this.engine = engine;
    this.request =
        new ShutdownRequest(
            spec.mode(),
            spec.ignoresUnexpectedEof(),
            spec.inbound(),
            spec.quicArgs(),
            spec.scheduler(),
            spec.timeout());
    this.sink = sink;
    this.clock = spec.scheduler();
  }

  /** Starts or continues the exchange; runs on the executor. */
  void step() {
    if (finished) {
      return;
    }
    if (!started) {
      started = true;
      startNanos = clock.now(TimeUnit.NANOSECONDS);
      startBytesRead = engine.connectionBytesRead();
    }
    Step answer;
    try {
      answer = engine.step(request);
    } catch (ShutdownException e) {
      finished = true;
      sink.error(e);
      return;
    } catch (VirtualMachineError e) {
      throw e;
    } catch (RuntimeException | Error e) {
      finished = true;
      engine.cancelReadiness(again);
      sink.error(e);
      return;
    }
    switch (answer) {
      case COMPLETE -> finish(Outcome.COMPLETE);
      case SENT -> finish(Outcome.SENT);
      case WANT_READ, WANT_WRITE -> {
        if (request.quic().noBlock()) {
          finished = true; // SSL_SHUTDOWN_FLAG_NO_BLOCK: would wait, so answer "not yet" (empty)
          sink.success();
        } else {
          engine.awaitReadiness(answer, again);
        }
      }
      default -> throw new AssertionError(answer);
    }
  }

  /**
   * @param totalBytesRead the connection's count now
   * @return application bytes read since this exchange started; executor only
   */
  long bytesReadSince(long totalBytesRead) {
    return started ? totalBytesRead - startBytesRead : 0;
  }

  /** Stops waiting after a cancel or timeout; runs on the executor. */
  void abandon() {
    if (!finished) {
      finished = true;
      engine.cancelReadiness(again);
    }
  }

  private void finish(Outcome outcome) {
    finished = true;
    long total = engine.connectionBytesRead();
    sink.success(
        engine
            .describe()
            .outcome(outcome)
            .mode(request.mode())
            .elapsed(Duration.ofNanos(clock.now(TimeUnit.NANOSECONDS) - startNanos))
            .bytesRead(total - startBytesRead)
            .build());
  }
}
