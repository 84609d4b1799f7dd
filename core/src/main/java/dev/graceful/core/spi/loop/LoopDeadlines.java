package dev.graceful.core.spi.loop;

import java.util.Arrays;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import reactor.core.Disposable;
import reactor.core.scheduler.Scheduler;

/**
 * The deadlines of one {@link SelectorLoop} on one {@link Scheduler}'s clock, confined to the loop
 * thread. They share a single task on the scheduler, armed for the earliest deadline, so that
 * adding and withdrawing a deadline is a cheap operation on the loop and not a round trip to the
 * scheduler's locked queue (and its thread's wake-ups) for every shutdown.
 *
 * <p>Deadlines that arrive in order (every shutdown of one policy has the same length, so each new
 * deadline is the latest) are kept in a linked list: adding and withdrawing one is a constant-time
 * link change, with no comparisons and no array to walk. A deadline earlier than the list's last
 * goes to a heap instead. The earliest pending deadline is the earlier of the list's head and the
 * heap's top.
 *
 * <p>Withdrawing the earliest deadline leaves the armed task in place: it fires, finds nothing due
 * and re-arms for the new earliest one. When deadlines of one length arrive in order (the common
 * case), this arms about once per deadline length instead of once per shutdown. Deadlines fire
 * exactly at their instant on the scheduler's clock, so virtual time stays exact (R3).
 */
final class LoopDeadlines {
  private static final System.Logger LOG = System.getLogger(LoopDeadlines.class.getName());
  private static final int LISTED = -2;
  private final SelectorLoop loop;
  private final Scheduler clock;
  private Entry[] heap = new Entry[16];
  private int size; // entries in the heap
  private Entry first; // the in-order list, earliest first
  private Entry last;
  private Disposable armed;
  private long armedAt;
  private long generation;

  LoopDeadlines(SelectorLoop loop, Scheduler clock) {
    this.loop = loop;
    this.clock = clock;
  }

  /** One deadline; {@link #dispose()} withdraws it. */
  final class Entry implements Disposable {
    private final long at;
    private final SelectorLoop.DeadlineTarget target;
    private int index = -1; // in the heap; LISTED when in the list
    private Entry prev;
    private Entry next;
    private boolean done;

    private Entry(long at, SelectorLoop.DeadlineTarget target) {
      this.at = at;
      this.target = target;
    }

    /** Withdraws the deadline; from the loop at once, from another thread by a loop task. */
    @Override
    public void dispose() {
      if (loop.inLoop()) {
        withdraw(this);
      } else {
        try {
          loop.execute(() -> withdraw(this));
        } catch (RejectedExecutionException stopped) {
          // the loop is gone and runs nothing more, this deadline included
        }
      }
    }

    @Override
    public boolean isDisposed() {
      return done;
    }
  }

  /**
   * @return true when nothing is pending or armed, so the loop can forget this clock
   */
  boolean idle() {
    return size == 0 && first == null && armed == null;
  }

  /**
   * @param at the instant, in {@code clock.now(NANOSECONDS)} terms
   * @param target told on the loop at that instant unless withdrawn first, or told of the refusal
   *     if the scheduler refuses to time it
   * @return the entry
   * @throws RejectedExecutionException if the scheduler refuses the first arming (nothing is kept)
   */
  Entry add(long at, SelectorLoop.DeadlineTarget target) {
    Entry e = new Entry(at, target);
    if (last == null || last.at - at <= 0) {
      e.index = LISTED;
      e.prev = last;
      if (last == null) {
        first = e;
      } else {
        last.next = e;
      }
      last = e;
    } else {
      if (size == heap.length) {
        heap = Arrays.copyOf(heap, size * 2);
      }
      e.index = size;
      heap[size++] = e;
      siftUp(e.index);
    }
    if (armed == null || at - armedAt < 0) {
      try {
        arm(at);
      } catch (RejectedExecutionException refused) {
        withdraw(e);
        throw refused;
      }
    }
    return e;
  }

  private void withdraw(Entry e) {
    if (e.done) {
      return;
    }
    e.done = true;
    if (e.index == LISTED) {
      unlink(e);
      return;
    }
    int i = e.index;
    e.index = -1;
    Entry moved = heap[--size]; // the heap's last entry fills the gap (not the list's tail)
    heap[size] = null;
    if (i != size) {
      heap[i] = moved;
      moved.index = i;
      siftDown(i);
      if (heap[i] == moved) {
        siftUp(i);
      }
    }
    if (size == 0 && heap.length > 1024) {
      heap = new Entry[16]; // a burst of thousands leaves no large array behind
    }
  }

  private void unlink(Entry e) {
    e.index = -1;
    if (e.prev == null) {
      first = e.next;
    } else {
      e.prev.next = e.next;
    }
    if (e.next == null) {
      last = e.prev;
    } else {
      e.next.prev = e.prev;
    }
    e.prev = null;
    e.next = null;
  }

  /**
   * @return the earliest pending deadline, or null
   */
  private Entry earliest() {
    Entry h = size > 0 ? heap[0] : null;
    if (first == null) {
      return h;
    }
    return h == null || first.at - h.at <= 0 ? first : h;
  }

  private void arm(long at) {
    if (armed != null) {
      armed.dispose();
      armed = null;
    }
    long g = ++generation;
    long delay = Math.max(0, at - clock.now(TimeUnit.NANOSECONDS));
    armed = clock.schedule(() -> fired(g), delay, TimeUnit.NANOSECONDS);
    armedAt = at;
  }

  /** On the scheduler's thread (or the caller's, for a virtual clock): hop to the loop. */
  private void fired(long g) {
    try {
      loop.execute(() -> expire(g));
    } catch (RejectedExecutionException stopped) {
      // the loop is shut down: its connections are gone with it
    }
  }

  private void expire(long g) {
    if (g != generation) {
      return; // replaced by an earlier arming, which handles what is due
    }
    armed = null;
    long now = clock.now(TimeUnit.NANOSECONDS);
    Entry e;
    while ((e = earliest()) != null && e.at - now <= 0) {
      withdraw(e);
      try {
        e.target.deadlineReached();
      } catch (Throwable failed) {
        // one deadline's failure must not keep the others from firing, nor the next arming
        SelectorLoop.report(LOG, System.Logger.Level.ERROR, "a deadline task failed", failed);
      }
    }
    if (e != null) {
      try {
        arm(e.at);
      } catch (RejectedExecutionException refused) {
        // the scheduler was disposed under pending deadlines: they can never fire, so say so
        abandonAll(refused);
      }
    }
    if (idle()) {
      loop.forget(clock, this);
    }
  }

  /**
   * Withdraws every pending deadline and tells each it will never fire (the loop is stopping, or
   * the clock refuses to time them), so that nothing waits forever.
   *
   * @param why the refusal to report
   */
  void abandonAll(RuntimeException why) {
    if (armed != null) {
      armed.dispose();
      armed = null;
    }
    generation++;
    Entry e;
    while ((e = earliest()) != null) {
      withdraw(e);
      try {
        e.target.deadlineRefused(why);
      } catch (Throwable failed) {
        SelectorLoop.report(LOG, System.Logger.Level.ERROR, "a deadline's refusal failed", failed);
      }
    }
  }

  private void siftUp(int i) {
    Entry e = heap[i];
    while (i > 0) {
      int parent = (i - 1) >>> 1;
      Entry p = heap[parent];
      if (p.at - e.at <= 0) {
        break;
      }
      heap[i] = p;
      p.index = i;
      i = parent;
    }
    heap[i] = e;
    e.index = i;
  }

  private void siftDown(int i) {
    Entry e = heap[i];
    int half = size >>> 1;
    while (i < half) {
      int child = 2 * i + 1;
      Entry c = heap[child];
      int right = child + 1;
      if (right < size && heap[right].at - c.at < 0) {
        child = right;
        c = heap[child];
      }
      if (e.at - c.at <= 0) {
        break;
      }
      heap[i] = c;
      c.index = i;
      i = child;
    }
    heap[i] = e;
    e.index = i;
  }
}
