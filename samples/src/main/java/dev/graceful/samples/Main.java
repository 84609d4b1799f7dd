package dev.graceful.samples;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * graceful's command line: every subcommand uses the library as a user would, prints one JSON
 * object per connection on stdout (logs go to stderr), and exits 0 when every shutdown ended with
 * an outcome, 1 when any ended in an error, 2 for bad arguments.
 */
@Command(
    name = "graceful",
    mixinStandardHelpOptions = true,
    version = "graceful 0.1.0",
    description = "Ends TLS, DTLS and QUIC connections correctly and reports how each one ended.",
    subcommands = {
      TlsClientCommand.class,
      TlsServerCommand.class,
      DtlsClientCommand.class,
      DtlsServerCommand.class,
      QuicClientCommand.class,
      QuicServerCommand.class,
      DemoCommand.class
    })
public final class Main implements Runnable {
  /** Exit code when every connection ended with an outcome. */
  static final int OK = 0;

  /** Exit code when any connection ended with an error. */
  static final int SHUTDOWN_ERROR = 1;

  /** Exit code for bad arguments. */
  static final int USAGE = 2;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required");
  }

  /**
   * @param args the command line
   */
  public static void main(String[] args) {
    System.exit(execute(args));
  }

  static int execute(String... args) {
    CommandLine cl = new CommandLine(new Main());
    cl.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          if (e instanceof IllegalArgumentException || e instanceof CommandLine.ParameterException) {
            commandLine.getErr().println("graceful: " + e.getMessage());
            commandLine.usage(commandLine.getErr());
            return USAGE;
          }
          commandLine.getErr().println("graceful: " + e);
          e.printStackTrace(commandLine.getErr());
          return SHUTDOWN_ERROR;
        });
    return cl.execute(args);
  }
}
