package dev.graceful.benchmarks.faults;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graceful.benchmarks.faults.QuicFaults.Kind;
import dev.graceful.core.DrainStatus;
import dev.graceful.core.Outcome;
import dev.graceful.core.ShutdownException;
import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownState;
import org.junit.jupiter.api.Test;

/** How every QUIC row, in either role and on either stack, judges an ending. */
class QuicJudgementTest {
  static final Kind LOSS = QuicFaults.KINDS.get(0);
  static final Kind SILENT =
      QuicFaults.KINDS.stream().filter(Kind::silent).findFirst().orElseThrow();
  static final Kind CANCEL =
      QuicFaults.KINDS.stream().filter(Kind::cancel).findFirst().orElseThrow();

  static Ending ended(Outcome outcome, DrainStatus drained, boolean truncationRisk) {
    ShutdownResult r =
        ShutdownResult.builder("c")
            .protocol("QUIC")
            .outcome(outcome)
            .drained(drained)
            .truncationRisk(truncationRisk)
            .build();
    return new Ending(r, null, null, false, 10);
  }

  static final QuicFaults.PeerRead NOT_ASKED =
      () -> {
        throw new AssertionError("the peer's read is asked only of a DRAINED drain with ackHook");
      };

  @Test
  void aDrainedCloseWhoseAcknowledgedBytesAllReachedThePeerIsAccepted() throws Exception {
    Verdict v =
        QuicFaults.judge(
            ended(Outcome.COMPLETE, DrainStatus.DRAINED, false), LOSS, true, 100, () -> 100);
    assertThat(v.failed()).isFalse();
    assertThat(v.outcome()).isEqualTo("COMPLETE+DRAINED");
  }

  @Test
  void aDrainedCloseWhosePeerApplicationReadLessLosesTheDifference() throws Exception {
    Verdict v =
        QuicFaults.judge(
            ended(Outcome.COMPLETE, DrainStatus.DRAINED, false), LOSS, true, 100, () -> 60);
    assertThat(v.lost()).isEqualTo(40);
    assertThat(v.failed()).isTrue();
  }

  @Test
  void anUndrainedCloseMustReportTruncationRisk() throws Exception {
    assertThat(
            QuicFaults.judge(
                    ended(Outcome.COMPLETE, DrainStatus.NOT_DRAINED, true),
                    LOSS,
                    true,
                    100,
                    NOT_ASKED)
                .failed())
        .isFalse();
    assertThat(
            QuicFaults.judge(
                    ended(Outcome.COMPLETE, DrainStatus.TIMEOUT, false),
                    LOSS,
                    false,
                    100,
                    NOT_ASKED)
                .unexpected())
        .contains("no truncationRisk");
  }

  @Test
  void nothingDrainsThroughASilentRelay() throws Exception {
    assertThat(
            QuicFaults.judge(
                    ended(Outcome.COMPLETE, DrainStatus.DRAINED, false),
                    SILENT,
                    false,
                    100,
                    NOT_ASKED)
                .unexpected())
        .contains("dropped everything");
  }

  @Test
  void anRfcCloseIsCompleteAndACancelledOnesRapidCloseSentOrComplete() throws Exception {
    assertThat(
            QuicFaults.judge(
                    ended(Outcome.SENT, DrainStatus.DRAINED, false), LOSS, false, 100, NOT_ASKED)
                .failed())
        .isTrue();
    assertThat(
            QuicFaults.judge(
                    ended(Outcome.SENT, DrainStatus.DRAINED, false), CANCEL, false, 100, NOT_ASKED)
                .failed())
        .isFalse();
  }

  @Test
  void aTimeoutErrorIsAcceptedAndAHangIsCounted() throws Exception {
    ShutdownException timeout =
        new ShutdownException(
            ShutdownException.Reason.TIMEOUT, "c", ShutdownState.NONE, "late", null);
    assertThat(
            QuicFaults.judge(
                    new Ending(null, timeout, null, false, 3000), LOSS, false, 1, NOT_ASKED)
                .failed())
        .isFalse();
    Verdict hung =
        QuicFaults.judge(new Ending(null, null, null, true, 6000), LOSS, false, 1, NOT_ASKED);
    assertThat(hung.hung()).isTrue();
  }
}
