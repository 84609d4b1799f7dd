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

  @Override
  public void close() {
    logger.removeHandler(handler);
  }
}
