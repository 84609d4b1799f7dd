package dev.graceful.benchmarks.faults;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The fault campaign's one-minute run, as {@code java -jar graceful-benchmarks.jar faults} runs it:
 * every trial ends inside its row's acceptable outcomes, with no byte lost unreported, nothing
 * leaked and nothing hung. The seed is random and printed (the campaign's first line); {@code
 * -Dfaults.seed=HEX} reruns one.
 */
class FaultCampaignIT {
  private static final Pattern LAST =
      Pattern.compile(
          "faults: (\\d+) tried, (\\d+) unexpected, (\\d+) bytes lost unreported, (\\d+) leaked,"
              + " (\\d+) hung");

  @Test
  void oneMinuteOfFaultsBreaksNoPromise() throws Exception {
    Path jar = Path.of("target", "graceful-benchmarks.jar");
    assertThat(jar).as("the shaded jar, built in the package phase").exists();
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx1g");
    command.add("-jar");
    command.add(jar.toString());
    command.add("faults");
    command.add("--duration");
    command.add(System.getProperty("faults.duration", "60s"));
    String seed = System.getProperty("faults.seed");
    if (seed != null) {
      command.add("--seed");
      command.add(seed);
    }
    Path log = Files.createTempFile("faults", ".txt");
    Process p =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    boolean ended = p.waitFor(5, TimeUnit.MINUTES);
    if (!ended) {
      p.destroyForcibly();
    }
    List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
    lines.forEach(System.out::println); // the seed, every row and any failure, in the build's log
    assertThat(ended).as("the campaign ended within 5 minutes").isTrue();
    String last = lines.isEmpty() ? "" : lines.get(lines.size() - 1);
    Matcher m = LAST.matcher(last);
    assertThat(m.matches()).as("the last line: %s", last).isTrue();
    long tried = Long.parseLong(m.group(1));
    assertThat(tried).as("trials in a minute on a shared 2-core machine").isGreaterThan(500);
    assertThat(m.group(2)).as("unexpected endings").isEqualTo("0");
    assertThat(m.group(3)).as("bytes lost unreported").isEqualTo("0");
    assertThat(m.group(4)).as("resources leaked").isEqualTo("0");
    assertThat(m.group(5)).as("hung shutdowns").isEqualTo("0");
    assertThat(p.exitValue()).isZero();
  }
}
