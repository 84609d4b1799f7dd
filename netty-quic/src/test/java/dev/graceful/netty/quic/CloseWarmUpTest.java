package dev.graceful.netty.quic;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graceful.core.CloseInfo;
import dev.graceful.core.Outcome;
import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownState;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Q7: the Netty stack's warm-up really runs the whole of a rapid close, through the engine and the
 * coordinator, on the calling thread and on a stand-in channel that reaches no network; a broken
 * stand-in would leave the first real close to link its path itself, unseen.
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
}
