package dev.graceful.quic;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graceful.core.CloseInfo;
import dev.graceful.core.LoopGroup;
import dev.graceful.core.Outcome;
import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownState;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Q7: the warm-up of the close path really runs the whole of a rapid close (on a stand-in that
 * sends nothing), so the classes and links it loads are those a first real close would; and it runs
 * on graceful's own threads only.
 */
class CloseWarmUpTest {
  @Tag("Q7")
  @Test
  void theStandInCloseRunsARapidCloseToSent() {
    var f = CloseWarmUp.standInClose();
    assertThat(f).as("everything ran on the calling thread").isDone();
    ShutdownResult r = f.join();
    assertThat(r.outcome()).isEqualTo(Outcome.SENT);
    assertThat(r.state()).isEqualTo(ShutdownState.SENT);
    assertThat(r.closeInfo()).hasValue(CloseInfo.application(0, "warm-up", true));
  }

  // Q7: the warm-up runs on graceful's own pool, never on the executor the application gives for
  // Kwik's blocking calls: there it would sit ahead of a first real close (a small executor), or
  // run on the thread that wraps the connection (a direct one, Kwik's accept thread say).
  @Tag("Q7")
  @Test
  void theWarmUpNeverRunsOnTheApplicationsExecutor() {
    LoopGroup loops = LoopGroup.create(1);
    try {
      List<Runnable> given = new CopyOnWriteArrayList<>();
      // a connection class not seen before: its close messages are still to warm up
      ScriptedKwik kwik = new ScriptedKwik() {};
      QuicConnection.of(
          kwik,
          loops,
          "scripted",
          QuicOptions.defaults()
              .blockingCalls(given::add)
              .closeThreads(QuicOptions.CloseThreads.AT_CLOSE));
      assertThat(given).as("nothing handed to the application's executor").isEmpty();
      assertThat(kwik.closes).isEmpty();
    } finally {
      loops.shutdown().block(Duration.ofSeconds(10));
    }
  }
}
