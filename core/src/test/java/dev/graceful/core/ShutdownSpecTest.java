package dev.graceful.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import reactor.test.scheduler.VirtualTimeScheduler;

/** R5: modes are reusable, composable operators; contradictions fail fast. */
class ShutdownSpecTest {

  // R5: each operator returns a new spec; the base is reusable for thousands of connections.
  @Tag("R5")
  @Test
  void operatorsReturnNewSpecsAndLeaveTheBaseUntouched() {
    ShutdownSpec base = ShutdownSpec.bidirectional();
    ShutdownSpec fast = base.fast();
    ShutdownSpec timed = base.timeout(Duration.ofSeconds(2));
    assertThat(base.mode()).isEqualTo(ShutdownMode.BIDIRECTIONAL);
    assertThat(base.timeout()).contains(ShutdownSpec.DEFAULT_TIMEOUT);
    assertThat(fast.mode()).isEqualTo(ShutdownMode.FAST);
    assertThat(timed.timeout()).contains(Duration.ofSeconds(2));
    assertThat(timed.mode()).isEqualTo(ShutdownMode.BIDIRECTIONAL);
  }

  // R5: a composition can be named once and applied anywhere.
  @Tag("R5")
  @Test
  void compositionsApplyAsOneOperator() {
    UnaryOperator<ShutdownSpec> lenient =
        s -> s.ignoreUnexpectedEof().timeout(Duration.ofMillis(500));
    ShutdownSpec s = ShutdownSpec.of(ShutdownMode.WAIT_PEER).apply(lenient).discardUnread();
    assertThat(s.mode()).isEqualTo(ShutdownMode.WAIT_PEER);
    assertThat(s.ignoresUnexpectedEof()).isTrue();
    assertThat(s.timeout()).contains(Duration.ofMillis(500));
    assertThat(s.inbound()).isEqualTo(Inbound.discard());
  }

  // R5: contradictory compositions fail fast, with a message naming both sides.
  @Tag("R5")
  @Test
  void contradictoryModesFailFast() {
    assertThatThrownBy(() -> ShutdownSpec.bidirectional().fast().quiet())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("fast")
        .hasMessageContaining("quiet");
    assertThatThrownBy(() -> ShutdownSpec.bidirectional().waitPeer().fast())
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(ShutdownSpec.bidirectional().fast().fast().mode()).isEqualTo(ShutdownMode.FAST);
  }

  @Tag("R5")
  @Test
  void readPoliciesContradictingModesFailFast() {
    assertThatThrownBy(() -> ShutdownSpec.bidirectional().fast().readInto(b -> {}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("never reads");
    assertThatThrownBy(() -> ShutdownSpec.bidirectional().discardUnread().quiet())
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ShutdownSpec.bidirectional().discardUnread().readInto(b -> {}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("already chosen");
  }

  record Knob(int value) implements ShutdownSpec.ProtocolOption {}

  record Dial(int value) implements ShutdownSpec.ProtocolOption {}

  // Q5, Q7, R5: QUIC's modes and stream flush compose like every other operator; a protocol's own
  // options ride along, one of each class, the later replacing the earlier.
  @Tag("Q5")
  @Tag("Q7")
  @Tag("R5")
  @Test
  void protocolOptionsCompose() {
    ShutdownSpec s =
        ShutdownSpec.bidirectional().rapid().noStreamFlush().with(new Knob(1)).with(new Dial(2));
    assertThat(s.mode()).isEqualTo(ShutdownMode.RAPID);
    assertThat(s.flushesStreams()).isFalse();
    assertThat(ShutdownSpec.bidirectional().flushesStreams()).isTrue();
    assertThat(s.option(Knob.class)).contains(new Knob(1));
    assertThat(s.with(new Knob(3)).option(Knob.class)).contains(new Knob(3));
    assertThat(s.with(new Knob(3)).options()).containsExactly(new Dial(2), new Knob(3));
    assertThat(ShutdownSpec.bidirectional().option(Knob.class)).isEmpty();
    assertThatThrownBy(() -> ShutdownSpec.bidirectional().rapid().rfc())
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ShutdownSpec.bidirectional().rapid().readInto(b -> {}))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(s.toString()).contains("rapid").contains("noStreamFlush").contains("Knob[value=1]");
  }

  @Tag("R5")
  @Test
  void settleAtDeadlineNeedsADeadline() {
    assertThatThrownBy(() -> ShutdownSpec.bidirectional().noTimeout().settleAtDeadline())
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ShutdownSpec.bidirectional().settleAtDeadline().noTimeout())
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(
            ShutdownSpec.bidirectional()
                .settleAtDeadline()
                .timeout(Duration.ofSeconds(1))
                .settlesAtDeadline())
        .isTrue();
  }

  @Tag("R5")
  @Test
  void badArgumentsFailFast() {
    assertThatThrownBy(() -> ShutdownSpec.bidirectional().timeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ShutdownSpec.bidirectional().timeout(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ShutdownSpec.bidirectional().timeout(null))
        .isInstanceOf(NullPointerException.class);
  }

  // R3: the scheduler is injectable and used for every deadline.
  @Tag("R3")
  @Test
  void schedulerIsInjectable() {
    VirtualTimeScheduler vts = VirtualTimeScheduler.create();
    try {
      assertThat(ShutdownSpec.bidirectional().scheduler(vts).scheduler()).isSameAs(vts);
    } finally {
      vts.dispose();
    }
  }

  @Test
  void stateBitsAreOpenSslBits() {
    assertThat(ShutdownState.SENT.bits()).isEqualTo(1);
    assertThat(ShutdownState.RECEIVED.bits()).isEqualTo(2);
    assertThat(ShutdownState.SENT.with(ShutdownState.RECEIVED))
        .isEqualTo(ShutdownState.SENT_AND_RECEIVED);
    assertThat(ShutdownState.ofBits(3).names()).containsExactly("SENT", "RECEIVED");
    assertThat(ShutdownState.NONE.names()).isEmpty();
    assertThatThrownBy(() -> ShutdownState.ofBits(4)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void modesHaveCommandLineNames() {
    assertThat(ShutdownMode.fromCliName("wait-peer")).isEqualTo(ShutdownMode.WAIT_PEER);
    assertThat(ShutdownMode.BIDIRECTIONAL.cliName()).isEqualTo("bidirectional");
    assertThatThrownBy(() -> ShutdownMode.fromCliName("rude"))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
