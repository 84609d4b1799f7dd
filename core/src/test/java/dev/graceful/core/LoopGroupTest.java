package dev.graceful.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Connections are spread over a fixed group of loops, round-robin. */
class LoopGroupTest {
  @Test
  void spreadsRoundRobinAndShutsDown() {
    LoopGroup g = LoopGroup.create(3);
    try {
      assertThat(g.loops()).hasSize(3);
      assertThat(g.next()).isSameAs(g.loops().get(0));
      assertThat(g.next()).isSameAs(g.loops().get(1));
      assertThat(g.next()).isSameAs(g.loops().get(2));
      assertThat(g.next()).isSameAs(g.loops().get(0));
    } finally {
      g.shutdown().block(Duration.ofSeconds(10));
    }
    assertThat(g.loops())
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
      assertThat(g.loops()).hasSize(Runtime.getRuntime().availableProcessors());
    } finally {
      g.shutdown().block(Duration.ofSeconds(10));
    }
  }
}
