package dev.graceful.quic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;

import dev.graceful.quic.QuicOptions.CloseThreads;
import java.util.concurrent.Executor;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

class QuicOptionsTest {
  // Q7: by default Kwik's close threads start when a connection is wrapped, on graceful's pool
  @Tag("Q7")
  @Test
  void defaultsStartCloseThreadsAheadOnGracefulsOwnPool() {
    assertThat(QuicOptions.defaults().closeThreads()).isEqualTo(CloseThreads.AHEAD);
    assertThat(QuicOptions.defaults().blockingCalls()).isEmpty();
  }

  // Q7: options are immutable values, reusable across connections
  @Tag("Q7")
  @Test
  void settersReturnNewValuesAndLeaveTheOriginalAsItWas() {
    Executor e = Runnable::run;
    QuicOptions d = QuicOptions.defaults();
    QuicOptions o = d.blockingCalls(e).closeThreads(CloseThreads.AT_CLOSE);
    assertThat(o.blockingCalls()).containsSame(e);
    assertThat(o.closeThreads()).isEqualTo(CloseThreads.AT_CLOSE);
    assertThat(d.closeThreads()).isEqualTo(CloseThreads.AHEAD);
    assertThat(d.blockingCalls()).isEmpty();
  }

  // Q1, Q7 (where Kwik's close runs): bad input is refused at once, by the argument's name
  @Tag("Q1")
  @Tag("Q7")
  @Test
  void aNullExecutorIsRefusedByName() {
    assertThatNullPointerException()
        .isThrownBy(() -> QuicOptions.defaults().blockingCalls(null))
        .withMessage("executor");
  }

  // Q7 (when Kwik's close threads start): bad input is refused at once, by the argument's name
  @Tag("Q7")
  @Test
  void aNullCloseThreadsIsRefusedByName() {
    assertThatNullPointerException()
        .isThrownBy(() -> QuicOptions.defaults().closeThreads(null))
        .withMessage("when");
  }
}
