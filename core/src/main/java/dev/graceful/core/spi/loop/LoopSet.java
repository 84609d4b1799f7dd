package dev.graceful.core.spi.loop;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.WeakHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The selector loops of one {@code LoopGroup}: started together, handed out round-robin, shut down
 * together. The API's {@code LoopGroup} holds its set privately and names no loop type; the set is
 * filed here under the group that owns it, where {@code SelectorLoops} in the SPI finds it. This
 * package names nothing else of graceful, so the API package can own loops while the SPI package
 * above it hands them to protocol modules, and no package depends on one that depends on it.
 */
public final class LoopSet {
  // weak keys: the set lives as long as its group is reachable; the set never refers to the group
  private static final Map<Object, LoopSet> BY_OWNER =
      Collections.synchronizedMap(new WeakHashMap<>());

  private final List<SelectorLoop> loops;
  private final AtomicInteger next = new AtomicInteger();

  private LoopSet(List<SelectorLoop> loops) {
    this.loops = List.copyOf(loops);
  }

  /**
   * Starts {@code size} loops, filed under {@code owner}.
   *
   * @param owner the group these loops belong to; compared by identity
   * @param size the number of loops, at least one
   * @return the started loops
   * @throws IllegalArgumentException for fewer than one loop, or an owner that has loops already
   */
  public static LoopSet start(Object owner, int size) {
    Objects.requireNonNull(owner, "owner");
    if (size < 1) {
      throw new IllegalArgumentException("a loop group needs at least one loop: " + size);
    }
    List<SelectorLoop> started = new ArrayList<>(size);
    for (int i = 0; i < size; i++) {
      started.add(SelectorLoop.start("graceful-loop-" + i));
    }
    LoopSet set = new LoopSet(started);
    if (BY_OWNER.putIfAbsent(owner, set) != null) {
      set.shutdown().subscribe();
      throw new IllegalArgumentException("this owner has its loops already");
    }
    return set;
  }

  /**
   * @param owner the group
   * @return the loops started for it
   * @throws NoSuchElementException if none were
   */
  public static LoopSet of(Object owner) {
    LoopSet set = BY_OWNER.get(Objects.requireNonNull(owner, "owner"));
    if (set == null) {
      throw new NoSuchElementException("no selector loops were started for " + owner);
    }
    return set;
  }

  /**
   * @return the next loop, round-robin
   */
  public SelectorLoop next() {
    return loops.get(Math.floorMod(next.getAndIncrement(), loops.size()));
  }

  /**
   * @return the loops, in the order they were started
   */
  public List<SelectorLoop> loops() {
    return loops;
  }

  /**
   * @return completes when every loop thread has ended
   */
  public Mono<Void> shutdown() {
    return Flux.fromIterable(loops).flatMap(SelectorLoop::shutdown).then();
  }
}
