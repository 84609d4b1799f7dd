package dev.graceful.testkit;

import java.util.Objects;
import java.util.function.Consumer;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Hands every record a {@code java.util.logging} logger publishes to {@code seen}, until closed:
 * {@code try (LogWatch w = LogWatch.of(SslHandler.class, warned::add)) { ... }}. It holds the
 * logger, which would otherwise be only weakly held and could be collected with its handler.
 */
public final class LogWatch implements AutoCloseable {
  private final Logger logger;
  private final Handler handler;

  private LogWatch(Logger logger, Consumer<LogRecord> seen) {
    this.logger = logger;
    this.handler =
        new Handler() {
          @Override
          public void publish(LogRecord r) {
            seen.accept(r);
          }

          @Override
          public void flush() {}

          @Override
          public void close() {}
        };
    logger.addHandler(handler);
  }

  /**
   * @param source the class whose logger to watch (loggers are named after their class)
   * @param seen receives each record, on the logging thread
   * @return the watch, already watching
   */
  public static LogWatch of(Class<?> source, Consumer<LogRecord> seen) {
    return new LogWatch(Logger.getLogger(source.getName()), Objects.requireNonNull(seen, "seen"));
  }

  /**
   * @param loggerName the logger to watch, e.g. a package-private class's name
   * @param seen receives each record, on the logging thread
   * @return the watch, already watching
   */
  public static LogWatch of(String loggerName, Consumer<LogRecord> seen) {
    return new LogWatch(
        Logger.getLogger(Objects.requireNonNull(loggerName, "loggerName")),
        Objects.requireNonNull(seen, "seen"));
  }

  /**
   * For callers that do not read {@code java.util.logging} themselves (a module that does not
   * require it): collects the throwable of every record that carries one.
   *
   * @param loggerName the logger to watch
   * @param thrown receives each record's throwable, on the logging thread
   * @return the watch, already watching
   */
  public static LogWatch failures(String loggerName, Consumer<Throwable> thrown) {
    Objects.requireNonNull(thrown, "thrown");
    return of(
        loggerName,
        r -> {
          if (r.getThrown() != null) {
            thrown.accept(r.getThrown());
          }
        });
  }

  @Override
  public void close() {
    logger.removeHandler(handler);
  }
}
