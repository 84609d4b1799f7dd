package dev.graceful.benchmarks;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** graceful's benchmarks: each subcommand prints a table and one summary line. */
@Command(
    name = "graceful-benchmarks",
    mixinStandardHelpOptions = true,
    description = "Rerunnable measurements of graceful's shutdowns on loopback.",
    subcommands = {
      QuicBenchmark.class,
      QuicFirstClose.class,
      dev.graceful.benchmarks.tls.TlsBenchmark.class,
      dev.graceful.benchmarks.faults.FaultCampaign.class,
      dev.graceful.benchmarks.boot.BootShutdownBenchmark.class,
      dev.graceful.tls.VirtualTimeBenchmark.class
    })
public final class Main implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required");
  }

  /**
   * @param args the command line
   */
  public static void main(String[] args) {
    System.exit(new CommandLine(new Main()).execute(args));
  }
}
