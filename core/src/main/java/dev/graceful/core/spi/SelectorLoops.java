package dev.graceful.core.spi;

import dev.graceful.core.LoopGroup;
import dev.graceful.core.spi.loop.LoopSet;
import dev.graceful.core.spi.loop.SelectorLoop;
import java.util.List;

/**
 * The selector loops of a {@link LoopGroup}, for protocol modules: users see only the group, and a
 * server or client built on it takes its connections' loops from here.
 */
public final class SelectorLoops {
  private SelectorLoops() {}

  /**
   * @param group a group made by {@link LoopGroup#create} or {@link LoopGroup#perCore}
   * @return its next loop, round-robin
   */
  public static SelectorLoop next(LoopGroup group) {
    return LoopSet.of(group).next();
  }

  /**
   * @param group a group made by {@link LoopGroup#create} or {@link LoopGroup#perCore}
   * @return its loops, in the order they were started
   */
  public static List<SelectorLoop> of(LoopGroup group) {
    return LoopSet.of(group).loops();
  }
}
