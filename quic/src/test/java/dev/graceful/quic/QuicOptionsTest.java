package dev.graceful.quic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;

import java.util.concurrent.Executor;
import org.junit.jupiter.api.Test;

class QuicOptionsTest {
  // Q7: by default Kwik's close threads start when a connection is wrapped, on graceful's pool
  @Test
  void defaultsStartCloseThreadsAheadOnGracefulsOwnPool() {
    assertThat(QuicOptions.defaults().closeThreadsAhead()).isTrue();
    assertThat(QuicOptions.defaults().blockingCalls()).isEmpty();
  }

  @Test
  void settersReturnNewValuesAndLeaveTheOriginalAsItWas() {
    Executor e = Runnable::run;
    QuicOptions d = QuicOptions.defaults();
    QuicOptions o = d.blockingCalls(e).closeThreadsAhead(false);
    assertThat(o.blockingCalls()).containsSame(e);
    assertThat(o.closeThreadsAhead()).isFalse();
    assertThat(d.closeThreadsAhead()).isTrue();
    assertThat(d.blockingCalls()).isEmpty();
  }

  @Test
  void aNullExecutorIsRefusedByName() {
    assertThatNullPointerException().isThrownBy(() -> QuicOptions.defaults().blockingCalls(null)).withMessage("executor");
  }
}
