package dev.graceful.quic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graceful.core.ShutdownException;
import dev.graceful.core.ShutdownMode;
import dev.graceful.core.ShutdownSpec;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** QUIC's own shutdown options, as a spec carries them. */
class QuicShutdownTest {

  // Q1, Q7, Q9, R5: QUIC's options compose with the spec's operators; the later replaces the
  // earlier.
  @Tag("Q1")
  @Tag("Q7")
  @Tag("Q9")
  @Tag("R5")
  @Test
  void optionsRideOnTheSpec() {
    QuicShutdown quic = QuicShutdown.defaults().closeWith(7, "bye").noBlock();
    ShutdownSpec s = ShutdownSpec.bidirectional().rapid().noStreamFlush().with(quic);
    assertThat(s.mode()).isEqualTo(ShutdownMode.RAPID);
    assertThat(s.option(QuicShutdown.class)).contains(quic);
    assertThat(quic.close()).isEqualTo(new QuicCloseArguments(7, "bye"));
    assertThat(quic.isNoBlock()).isTrue();
    assertThat(QuicShutdown.defaults().close()).isEqualTo(QuicCloseArguments.DEFAULT);
    assertThat(QuicShutdown.defaults().isNoBlock()).isFalse();
    assertThat(QuicShutdown.defaults().closeWith(1, null).close().reason()).isEmpty();
    assertThat(s.with(QuicShutdown.defaults()).option(QuicShutdown.class))
        .contains(QuicShutdown.defaults());
    assertThat(s.toString()).contains("rapid").contains("bye").contains("noBlock");
  }

  // Q2: an out-of-range code given to closeWith is reported when the shutdown runs, as
  // SSL_shutdown_ex reports it: INVALID_ARGUMENT, nothing sent. A later valid code clears it.
  @Tag("Q2")
  @Test
  void anOutOfRangeCodeIsRefusedWhenTheShutdownRuns() throws ShutdownException {
    QuicShutdown refused = QuicShutdown.defaults().closeWith(1L << 62, "x");
    assertThatThrownBy(() -> refused.checkedClose("conn"))
        .isInstanceOfSatisfying(
            ShutdownException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(ShutdownException.Reason.INVALID_ARGUMENT);
              assertThat(e.getMessage())
                  .contains("outside [0, 2^62-1]")
                  .contains("nothing was sent");
            });
    assertThat(refused.closeWith(3, "ok").checkedClose("conn"))
        .isEqualTo(new QuicCloseArguments(3, "ok"));
  }
}
