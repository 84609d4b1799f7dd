package dev.graceful.tls;

import dev.graceful.core.spi.loop.SelectorLoop;
import dev.graceful.tls.internal.AcceptBackoff;
import java.io.IOException;
import java.nio.channels.SelectionKey;
import java.util.concurrent.TimeUnit;
import reactor.core.Disposable;
import reactor.core.scheduler.Scheduler;

/**
 * What a listener does when accepting fails, as it does when file descriptors run out (EMFILE): the
 * connection stays in the backlog and the listener is ready again at once, so accepting again at
 * once would spin its loop and flood the log. Accepting pauses instead (no OP_ACCEPT interest) for
 * an {@link AcceptBackoff} pause, timed on the loop with the server's scheduler, and the first
 * failure of each episode is logged. Confined to the listener's loop.
 */
final class AcceptPauses {
  private static final System.Logger LOG = System.getLogger(TlsServer.class.getName());

  private final SelectorLoop loop;
  private final Scheduler clock;
  private final String listener;
  private final AcceptBackoff backoff = new AcceptBackoff();
  private SelectionKey key;
  private Disposable resume; // ends the pause under way
  private boolean stopped;

  /**
   * @param loop the listener's loop
   * @param clock where pauses are timed
   * @param listener the listening address, as the log names it
   */
  AcceptPauses(SelectorLoop loop, Scheduler clock, String listener) {
    this.loop = loop;
    this.clock = clock;
    this.listener = listener;
  }

  /**
   * Once, at bind, while descriptors are still available: runs what a failed accept needs (a loop
   * deadline on the clock, the back-off, the log's set-up), since loading a class or a log
   * configuration once they have run out would fail.
   *
   * @param key the listener's key, whose accept interest pauses
   */
  void prepare(SelectionKey key) {
    this.key = key;
    new AcceptBackoff().failed();
    LOG.isLoggable(System.Logger.Level.WARNING); // the logging backend is set up on first use
    try {
      loop.deadline(clock, clock.now(TimeUnit.NANOSECONDS), () -> {}, refused -> {});
    } catch (RuntimeException refused) {
      // said again when it matters
    }
  }

  /** An accept failed: stop selecting for accepts for the next pause. */
  void failed(IOException e) {
    if (stopped || key == null || !key.isValid()) {
      return; // the listener is closed
    }
    // First, before anything that could fail in turn when descriptors run out: no more spinning.
    key.interestOps(0);
    AcceptBackoff.Pause pause = backoff.failed();
    if (pause.firstOfEpisode()) {
      warn(
          "accept failed on "
              + listener
              + "; pausing accepts for "
              + pause.length().toMillis()
              + " ms, longer while it keeps failing (not logged again until an accept succeeds)",
          e);
    }
    long at = clock.now(TimeUnit.NANOSECONDS) + pause.length().toNanos();
    try {
      resume = loop.deadline(clock, at, this::resume, refused -> resume());
    } catch (RuntimeException | LinkageError cannotTime) {
      // the scheduler refuses, or a class cannot be loaded without a descriptor: a listener that
      // never accepts again would be worse than one that tries again at once
      resume();
    }
  }

  /** An accept succeeded: an episode of failures, if any, is over. */
  void succeeded() {
    long failed = backoff.succeeded();
    if (failed > 0) {
      LOG.log(
          System.Logger.Level.INFO,
          () -> "accepting again on " + listener + " after " + failed + " failed accepts");
    }
  }

  /** The listener is closing: no pause resumes it. */
  void stop() {
    stopped = true;
    if (resume != null) {
      resume.dispose();
      resume = null;
    }
  }

  /** The pause is over: select for accepts again, unless the listener was closed meanwhile. */
  private void resume() {
    resume = null;
    if (!stopped && key != null && key.isValid()) {
      key.interestOps(SelectionKey.OP_ACCEPT);
    }
  }

  /** Logs a warning; a log that fails (it may need a descriptor too) is not the loop's end. */
  private static void warn(String what, Throwable e) {
    try {
      LOG.log(System.Logger.Level.WARNING, what, e);
    } catch (RuntimeException | Error logFailed) {
      // nothing is left to tell (a log formatter may need a descriptor to load time zones)
    }
  }
}
