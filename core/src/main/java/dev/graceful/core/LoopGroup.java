package dev.graceful.core;

import dev.graceful.core.spi.loop.LoopSet;
import reactor.core.publisher.Mono;

/**
 * A fixed group of selector loops, each one thread; connections are spread over them round-robin.
 * Servers and clients take a group; which loop serves a connection is theirs to choose, so the
 * loops themselves are not part of the API.
 */
public final class LoopGroup {
  private final LoopSet loops;
  private final int size;

  private LoopGroup(int size) {
    this.size = size;
    this.loops = LoopSet.start(this, size); // filed under this group, for the SPI's SelectorLoops
  }

  /**
   * @return a group with one loop per available processor
   */
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
    return new LoopGroup(size);
  }

  /**
   * @return the number of loops
   */
  public int size() {
    return size;
  }

  /**
   * @return completes when every loop thread has ended
   */
  public Mono<Void> shutdown() {
    return loops.shutdown();
  }

  @Override
  public String toString() {
    return "LoopGroup[" + size + (size == 1 ? " loop]" : " loops]");
  }
}
