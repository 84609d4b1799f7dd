package dev.graceful.samples;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** The main job: placeholder replaced below. */
@Command(name = "demo", mixinStandardHelpOptions = true, description = "Embedded servers, clients, a graceful shutdown of everything, a report.")
final class DemoCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    return Main.OK;
  }
}
