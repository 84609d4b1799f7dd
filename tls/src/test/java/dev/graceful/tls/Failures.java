package dev.graceful.tls;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graceful.core.ShutdownException;
import java.time.Duration;
import reactor.core.Exceptions;
import reactor.core.publisher.Mono;

/** Blocks on a Mono expected to fail and returns its ShutdownException. */
final class Failures {
  private Failures() {}

  static ShutdownException shutdownError(Mono<?> mono, Duration max) {
    try {
      Object v = mono.block(max);
      throw new AssertionError("expected a ShutdownException, got " + v);
    } catch (RuntimeException e) {
      Throwable t = Exceptions.unwrap(e);
      assertThat(t).isInstanceOf(ShutdownException.class);
      return (ShutdownException) t;
    }
  }

  static ShutdownException.Reason reason(Mono<?> mono, Duration max) {
    return shutdownError(mono, max).reason();
  }
}
