package dev.graceful.core;

import dev.graceful.core.spi.SelectorLoop;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** A fixed group of selector loops; connections are spread over them round-robin. */
public final class LoopGroup {
  private final List<SelectorLoop> loops;
  private final AtomicInteger next = new AtomicInteger();

  private LoopGroup(List<SelectorLoop> loops) {
    this.loops = List.copyOf(loops);
  }

  /** @return a group with one loop per available processor */
  public static LoopGroup perCore() {
    return create(Runtime.getRuntime().availableProcessors());
  }

  /**
   * @param size the number of loops, at least one
   * @return a started group
   */
  public static LoopGroup create(int size) {
    if (size < 1) {
      throw new IllegalArgumentException("a loop group needs at least one loop: " + size);
    }
    List<SelectorLoop> loops = new ArrayList<>(size);
    for (int i = 0; i < size; i++) {
      loops.add(SelectorLoop.start("graceful-loop-" + i));
    }
    return new LoopGroup(loops);
  }

  /** @return the next loop, round-robin */
  public SelectorLoop next() {
    return loops.get(Math.floorMod(next.getAndIncrement(), loops.size()));
  }

  /** @return the loops */
  public List<SelectorLoop> loops() {
    return loops;
  }

  /** @return completes when every loop thread has ended */
  public Mono<Void> shutdown() {
    return Flux.fromIterable(loops).flatMap(SelectorLoop::shutdown).then();
  }
}
