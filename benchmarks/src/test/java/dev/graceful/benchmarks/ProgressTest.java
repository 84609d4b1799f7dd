package dev.graceful.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ProgressTest {
  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private final PrintStream err = new PrintStream(bytes, true, StandardCharsets.UTF_8);
  private final AtomicLong clock = new AtomicLong();

  @Test
  void estimatesTheRestFromTheStepsDone() {
    Progress p = new Progress("tls measured", 4, 0, err, clock::get);
    clock.set(2_000_000_000L);
    p.step("round 1/2, raw:1");
    clock.set(4_000_000_000L);
    p.step("");

    assertThat(lines())
        .containsExactly(
            "tls measured 1/4 (round 1/2, raw:1): elapsed 2.0 s, ETA 6.0 s",
            "tls measured 2/4: elapsed 4.0 s, ETA 4.0 s");
  }

  @Test
  void leavesOutLinesTooCloseTogetherButNeverTheLast() {
    Progress p = new Progress("quic pairs", 3, 1_000_000_000L, err, clock::get);
    clock.set(100_000_000L);
    p.step("");
    clock.set(200_000_000L);
    p.step("");
    clock.set(300_000_000L);
    p.step("");

    assertThat(lines())
        .containsExactly(
            "quic pairs 1/3: elapsed 0.1 s, ETA 0.2 s", "quic pairs 3/3: elapsed 0.3 s, ETA 0.0 s");
  }

  @Test
  void writesLongDurationsInMinutesAndHours() {
    assertThat(Progress.duration(187_000_000_000L)).isEqualTo("3m07s");
    assertThat(Progress.duration(3_720_000_000_000L)).isEqualTo("1h02m");
  }

  private String[] lines() {
    return bytes.toString(StandardCharsets.UTF_8).split("\\R");
  }
}
