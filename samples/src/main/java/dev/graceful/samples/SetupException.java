package dev.graceful.samples;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * A command could not be set up (a file, a port, a host): one line on stderr naming the problem,
 * exit 2, no stack trace unless {@code --verbose}.
 */
final class SetupException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  SetupException(String message) {
    super(message);
  }

  SetupException(String message, Throwable cause) {
    super(message, cause);
  }

  /**
   * @param option the option naming the file, e.g. {@code --key}
   * @param file the file
   * @param e why reading failed
   * @return the problem in words: missing, a directory, not readable, or the I/O error's own
   */
  static SetupException unreadable(String option, Path file, IOException e) {
    String why;
    if (e instanceof NoSuchFileException) {
      why = "no such file";
    } else if (Files.isDirectory(file)) {
      why = "is a directory, not a file";
    } else if (e instanceof AccessDeniedException) {
      why = "permission denied";
    } else {
      why = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }
    return new SetupException(option + " " + file + ": " + why, e);
  }
}
