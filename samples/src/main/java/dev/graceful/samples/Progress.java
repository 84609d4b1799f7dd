package dev.graceful.samples;

import java.io.PrintStream;

/**
 * The phases of a long command, announced on stderr as each starts and ends, with the time it took:
 * a user watching sees what runs instead of silent seconds, and stdout stays for results.
 */
final class Progress {
  private final PrintStream err;
  private final String command;

  /**
   * @param err where the lines go (stderr)
   * @param command the command's name, at the start of each line
   */
  Progress(PrintStream err, String command) {
    this.err = err;
    this.command = command;
  }

  /** One phase under way; {@link #end()} says it is over. */
  final class Phase {
    private final String name;
    private final long start = System.nanoTime();

    private Phase(String name) {
      this.name = name;
    }

    /** Says the phase ended, and after how long. */
    void end() {
      end("");
    }

    /** Says the phase ended, after how long, and {@code detail} (or nothing if empty). */
    void end(String detail) {
      long ms = (System.nanoTime() - start) / 1_000_000;
      line(name + ": done in " + ms + " ms" + (detail.isEmpty() ? "" : ", " + detail));
    }
  }

  /** Says {@code name} starts. */
  Phase start(String name) {
    line(name + " ...");
    return new Phase(name);
  }

  private void line(String text) {
    synchronized (err) {
      err.println("graceful: " + command + ": " + text);
      err.flush();
    }
  }
}
