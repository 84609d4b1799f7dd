package dev.graceful.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graceful.core.spi.SelectorLoops;
import dev.graceful.core.spi.loop.SelectorLoop;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Connections are spread over a fixed group of loops, round-robin, as protocol modules see it. */
class LoopGroupTest {
  @Test
  void spreadsRoundRobinAndShutsDown() {
    LoopGroup g = LoopGroup.create(3);
    List<SelectorLoop> loops = SelectorLoops.of(g);
    try {
      assertThat(g.size()).isEqualTo(3);
      assertThat(loops).hasSize(3);
      assertThat(SelectorLoops.next(g)).isSameAs(loops.get(0));
      assertThat(SelectorLoops.next(g)).isSameAs(loops.get(1));
      assertThat(SelectorLoops.next(g)).isSameAs(loops.get(2));
      assertThat(SelectorLoops.next(g)).isSameAs(loops.get(0));
    } finally {
      g.shutdown().block(Duration.ofSeconds(10));
    }
    assertThat(loops)
        .allSatisfy(
            l ->
                assertThatThrownBy(() -> l.census().block(Duration.ofSeconds(1)))
                    .isInstanceOf(java.util.concurrent.RejectedExecutionException.class));
  }

  @Test
  void needsAtLeastOneLoop() {
    assertThatThrownBy(() -> LoopGroup.create(0)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void perCoreHasOneLoopPerProcessor() {
    LoopGroup g = LoopGroup.perCore();
    try {
      assertThat(SelectorLoops.of(g)).hasSize(Runtime.getRuntime().availableProcessors());
    } finally {
      g.shutdown().block(Duration.ofSeconds(10));
    }
  }
}
