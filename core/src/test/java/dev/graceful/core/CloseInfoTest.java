package dev.graceful.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class CloseInfoTest {

  @Test
  void applicationCloseHasNoFrameTypeAndIsNotTransport() {
    CloseInfo info = CloseInfo.application(7, "bye", true);
    assertThat(info.transport()).isFalse();
    assertThat(info.frameType()).isZero();
    assertThat(info.local()).isTrue();
    assertThat(info.peer()).isFalse();
  }

  @Test
  void transportCloseKeepsItsFrameType() {
    CloseInfo info = CloseInfo.transport(0x0a, 0x08, "protocol violation", false);
    assertThat(info.transport()).isTrue();
    assertThat(info.frameType()).isEqualTo(0x08);
    assertThat(info.peer()).isTrue();
  }

  @Test
  void codesOutsideTheVariableLengthRangeAreRefused() {
    assertThat(CloseInfo.application(CloseInfo.MAX_CODE, "", false).errorCode())
        .isEqualTo((1L << 62) - 1);
    assertThatThrownBy(() -> CloseInfo.application(CloseInfo.MAX_CODE + 1, "", false))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("2^62-1");
    assertThatThrownBy(() -> CloseInfo.application(-1, "", false))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> CloseInfo.transport(0, -1, "", false))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void resultsAndErrorsCarryIt() {
    CloseInfo info = CloseInfo.application(3, "done", false);
    ShutdownResult result = ShutdownResult.builder("c").closeInfo(info).build();
    assertThat(result.closeInfo()).contains(info);
    assertThat(result.toBuilder().build().closeInfo()).contains(info);
    assertThat(ShutdownResult.builder("c").build().closeInfo()).isEmpty();
    ShutdownException e =
        new ShutdownException(
            ShutdownException.Reason.PROTOCOL, "c", ShutdownState.RECEIVED, "closed", null, info);
    assertThat(e.closeInfo()).contains(info);
  }
}
