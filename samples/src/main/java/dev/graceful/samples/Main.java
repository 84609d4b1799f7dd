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
    versionProvider = Version.class,
    description = "Ends TLS, DTLS and QUIC connections correctly and reports how each one ended.",
    subcommands = {
      TlsClientCommand.class,
      TlsServerCommand.class,
      DtlsClientCommand.class,
      DtlsServerCommand.class,
      QuicClientCommand.class,
      QuicServerCommand.class,
      ProbeCommand.class,
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

  @CommandLine.Option(
      names = "--verbose",
      scope = CommandLine.ScopeType.INHERIT,
      description = "print the stack trace of a failure")
  boolean verbose;

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
          java.io.PrintWriter err = commandLine.getErr();
          Throwable u = reactor.core.Exceptions.unwrap(e);
          if (u instanceof SetupException) {
            err.println("graceful: " + u.getMessage());
            if (verbose(parseResult)) {
              u.printStackTrace(err);
            }
            return USAGE;
          }
          if (u instanceof IllegalArgumentException
              || u instanceof CommandLine.ParameterException) {
            err.println("graceful: " + u.getMessage());
            commandLine.usage(err);
            return USAGE;
          }
          err.println(
              "graceful: " + (u.getMessage() != null ? u.getMessage() : u.getClass().getName()));
          if (verbose(parseResult)) {
            u.printStackTrace(err);
          }
          return SHUTDOWN_ERROR;
        });
    return cl.execute(args);
  }

  /**
   * @return true if {@code --verbose} was given, on the command or a subcommand
   */
  private static boolean verbose(CommandLine.ParseResult parseResult) {
    for (CommandLine.ParseResult p = parseResult; p != null; p = p.subcommand()) {
      if (p.hasMatchedOption("--verbose")) {
        return true;
      }
    }
    return false;
  }
}
