package dev.graceful.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graceful.core.ShutdownReport;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * G11: the rehearsal of the shutdown path ends its in-VM connection with any policy and cleans up.
 */
@Tag("G11")
class ShutdownRehearsalTest {
  private static final Duration WAIT = Duration.ofSeconds(30);

  private static GracefulShutdownProperties policy(GracefulShutdownProperties.Mode mode) {
    return new GracefulShutdownProperties(
        true,
        mode,
        Duration.ofSeconds(5),
        Duration.ofSeconds(10),
        GracefulShutdownProperties.Mode.FAST);
  }

  @ParameterizedTest
  @EnumSource(GracefulShutdownProperties.Mode.class)
  void endsItsConnectionByThePolicyWellBeforeTheDeadlineAndStopsItsEventLoop(
      GracefulShutdownProperties.Mode mode) throws Exception {
    ShutdownReport report = ShutdownRehearsal.rehearse(policy(mode).serverShutdown()).block(WAIT);

    assertThat(report.connections()).isEqualTo(1);
    assertThat(report.errors()).isEmpty();
    assertThat(report.stragglers()).as("ended by the policy, not forced at the deadline").isEmpty();
    // wait-peer included: the rehearsal's client closes too, so nothing waits for the deadline
    assertThat(report.elapsed()).isLessThan(ShutdownRehearsal.LIMIT);
    assertThat(awaitRehearsalThreadsEnded()).isEmpty();
  }

  /**
   * @return the rehearsal's threads still alive after waiting for each to end
   */
  private static List<Thread> awaitRehearsalThreadsEnded() throws InterruptedException {
    List<Thread> threads =
        Thread.getAllStackTraces().keySet().stream()
            .filter(t -> t.getName().startsWith("graceful-rehearsal"))
            .toList();
    for (Thread t : threads) {
      t.join(WAIT.toMillis());
    }
    return threads.stream().filter(Thread::isAlive).toList();
  }
}
