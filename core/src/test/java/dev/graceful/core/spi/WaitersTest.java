package dev.graceful.core.spi;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.channels.SelectionKey;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** T13: who waits for readiness, per direction; what a transport's readiness wakes. */
@Tag("T13")
class WaitersTest {
  final List<String> ran = new ArrayList<>();
  final Runnable a = () -> ran.add("a");
  final Runnable b = () -> ran.add("b");
  final Runnable c = () -> ran.add("c");

  // T13: one waiter per direction, added once; waiting the other way moves it; the interest
  // follows.
  @Test
  void oneWaiterMovesBetweenDirections() {
    Waiters w = new Waiters();
    assertThat(w.isEmpty()).isTrue();
    w.add(false, a);
    w.add(false, a);
    assertThat(w.interestOps()).isEqualTo(SelectionKey.OP_READ);
    w.add(true, a);
    assertThat(w.interestOps()).isEqualTo(SelectionKey.OP_WRITE);
    assertThat(w.waits(false)).isFalse();
    assertThat(w.take(false)).isEmpty();
    assertThat(w.take(true)).containsExactly(a);
    assertThat(w.isEmpty()).isTrue();
    assertThat(w.interestOps()).isZero();
  }

  // T13: several waiters in one direction are woken in the order they came, once each; removing
  // all but one leaves that one waiting.
  @Test
  void severalWaitersWakeInOrderOnce() {
    Waiters w = new Waiters();
    w.add(false, a);
    w.add(false, b);
    w.add(false, c);
    w.add(false, b);
    w.remove(a);
    w.remove(c);
    assertThat(w.waits(false)).isTrue();
    w.add(false, c);
    w.add(true, a);
    List<Runnable> readers = w.take(false);
    assertThat(readers).containsExactly(b, c);
    readers.forEach(Runnable::run);
    // a woken waiter that waits again is kept for the next readiness, not lost or run twice
    w.add(false, b);
    assertThat(w.takeAll()).containsExactly(b, a);
    assertThat(ran).containsExactly("b", "c");
    assertThat(w.isEmpty()).isTrue();
  }
}
