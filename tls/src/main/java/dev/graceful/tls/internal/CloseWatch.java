package dev.graceful.tls.internal;

import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * When an engine's transport closed, for the callers that ask: a sink made on demand and at most a
 * callback or two, rather than a sink and a subscription for every connection a server holds.
 */
final class CloseWatch {
  private static final System.Logger LOG = System.getLogger(CloseWatch.class.getName());

  private boolean closed; // guarded by this
  private Sinks.@Nullable Empty<Void> sink; // guarded by this
  private @Nullable Runnable onClose; // guarded by this

  Mono<Void> mono() {
    return Mono.defer(
        () -> {
          synchronized (this) {
            if (closed) {
              return Mono.empty();
            }
            if (sink == null) {
              sink = Sinks.empty();
            }
            return sink.asMono();
          }
        });
  }

  void whenClosed(Runnable callback) {
    synchronized (this) {
      if (!closed) {
        Runnable earlier = onClose;
        onClose =
            earlier == null
                ? callback
                : () -> {
                  run(earlier);
                  run(callback);
                };
        return;
      }
    }
    run(callback);
  }

  void closed() {
    Sinks.Empty<Void> s;
    Runnable r;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      s = sink;
      r = onClose;
      sink = null;
      onClose = null;
    }
    if (s != null) {
      s.tryEmitEmpty();
    }
    if (r != null) {
      run(r);
    }
  }

  /** A callback's failure is reported, and neither stops the close nor the other callbacks. */
  private static void run(Runnable callback) {
    try {
      callback.run();
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.ERROR, "a close callback failed", e);
    }
  }
}
