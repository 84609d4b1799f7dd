package dev.graceful.quic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Q1–Q3: the SSL_shutdown_ex arguments. */
class QuicCloseArgumentsTest {

  // Q2: the code must be in [0, 2^62-1]: the arguments are never made with another. A shutdown
  // given such a code by QuicShutdown.closeWith ends with INVALID_ARGUMENT (QuicShutdownTest).
  @Tag("Q2")
  @ParameterizedTest
  @ValueSource(longs = {-1L, 1L << 62, Long.MAX_VALUE, Long.MIN_VALUE})
  void errorCodeOutOfRangeIsRefused(long code) {
    assertThatThrownBy(() -> QuicCloseArguments.of(code, "bye"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("outside [0, 2^62-1]");
    assertThatThrownBy(() -> new QuicCloseArguments(code, ""))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Tag("Q2")
  @ParameterizedTest
  @ValueSource(longs = {0L, 1L, 0x3fffffffffffffffL})
  void errorCodeInRangeIsKept(long code) {
    assertThat(QuicCloseArguments.of(code, "").errorCode()).isEqualTo(code);
  }

  // Q3: the record itself refuses a reason that does not fit; of(...) fits it instead.
  @Tag("Q3")
  @Test
  void recordRefusesAReasonThatDoesNotFit() {
    assertThatThrownBy(
            () -> new QuicCloseArguments(0, "a".repeat(QuicCloseArguments.MAX_REASON_BYTES + 1)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  // Q1: code 0 and an empty reason by default.
  @Tag("Q1")
  @Test
  void defaultsAreZeroAndEmpty() {
    assertThat(QuicCloseArguments.DEFAULT).isEqualTo(QuicCloseArguments.of(0, null));
  }

  // Q3: short reasons are copied unchanged.
  @Tag("Q3")
  @Test
  void shortReasonIsUnchanged() {
    assertThat(QuicCloseArguments.of(7, "going away").reason()).isEqualTo("going away");
  }

  // Q3: long reasons are cut at a code-point boundary and stay valid UTF-8, for 1- to 4-byte forms.
  @Tag("Q3")
  @ParameterizedTest
  @ValueSource(strings = {"a", "é", "€", "😀", "a€😀é"})
  void longReasonIsCutAtCodePointBoundary(String unit) throws Exception {
    String reason = unit.repeat(10_000);
    String fitted = QuicCloseArguments.of(1, reason).reason();
    byte[] wire = fitted.getBytes(StandardCharsets.UTF_8);
    assertThat(wire.length).isLessThanOrEqualTo(QuicCloseArguments.MAX_REASON_BYTES);
    assertThat(wire.length).isGreaterThan(QuicCloseArguments.MAX_REASON_BYTES - 4);
    assertThat(reason).startsWith(fitted);
    assertThat(strictUtf8(wire)).isEqualTo(fitted);
  }

  // Q3: an unpaired surrogate never produces invalid UTF-8 (nor Java's silent '?').
  @Tag("Q3")
  @Test
  void unpairedSurrogateBecomesReplacementCharacter() throws Exception {
    String reason = "x\uD83Dy\uDE00z";
    String fitted = QuicCloseArguments.of(1, reason).reason();
    assertThat(fitted).isEqualTo("x\uFFFDy\uFFFDz");
    assertThat(strictUtf8(fitted.getBytes(StandardCharsets.UTF_8))).isEqualTo(fitted);
  }

  // Q3: a surrogate pair is never split by the cut.
  @Tag("Q3")
  @Test
  void surrogatePairIsNeverSplit() throws Exception {
    String reason = "a".repeat(QuicCloseArguments.MAX_REASON_BYTES - 2) + "😀";
    String fitted = QuicCloseArguments.of(1, reason).reason();
    assertThat(fitted).isEqualTo("a".repeat(QuicCloseArguments.MAX_REASON_BYTES - 2));
  }

  private static String strictUtf8(byte[] bytes) throws CharacterCodingException {
    return StandardCharsets.UTF_8
        .newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT)
        .decode(ByteBuffer.wrap(bytes))
        .toString();
  }
}
