package dev.graceful.quic;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graceful.core.CloseInfo;
import dev.graceful.core.Outcome;
import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownState;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Q7: the warm-up of the close path really runs the whole of a rapid close (on a stand-in that
 * sends nothing), so the classes and links it loads are those a first real close would; and the
 * messages of a Kwik-like connection's end are built without touching it.
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

  @Tag("Q7")
  @Test
  void kwiksMessagesAreBuiltWithoutClosingTheConnection() {
    ScriptedKwik kwik = new ScriptedKwik();
    CloseWarmUp.kwikMessages(kwik);
    assertThat(kwik.closes).isEmpty();
  }
}
