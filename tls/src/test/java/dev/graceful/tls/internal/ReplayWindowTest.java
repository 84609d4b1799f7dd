package dev.graceful.tls.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** RFC 6347 §4.1.2.6 sliding window. */
class ReplayWindowTest {
  @Tag("T14")
  @Test
  void acceptsNewRejectsDuplicatesAndTooOld() {
    ReplayWindow w = new ReplayWindow();
    assertThat(w.accept(10)).isTrue();
    assertThat(w.accept(10)).isFalse();
    assertThat(w.accept(12)).isTrue();
    assertThat(w.accept(11)).as("late but inside the window").isTrue();
    assertThat(w.accept(11)).isFalse();
    assertThat(w.accept(100)).isTrue();
    assertThat(w.accept(37)).as("inside the 64-record window").isTrue();
    assertThat(w.accept(37)).isFalse();
    assertThat(w.accept(36)).as("just left of the window").isFalse();
    assertThat(w.accept(30)).as("left of the window").isFalse();
    assertThat(w.accept((2L << 48) | 1)).as("a newer epoch").isTrue();
    assertThat(w.accept(101)).as("an older epoch").isFalse();
    assertThat(w.accept(-1)).as("no number reported").isTrue();
  }
}
