package dev.graceful.core.spi;

import java.util.Arrays;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import reactor.core.Disposable;
import reactor.core.scheduler.Scheduler;

/**
 * The deadlines of one {@link SelectorLoop} on one {@link Scheduler}'s clock, confined to the loop
 * thread. They share a single task on the scheduler, armed for the earliest deadline, so that
 * adding and withdrawing a deadline is a heap operation on the loop and not a round trip to the
 * scheduler's locked queue (and its thread's wake-ups) for every shutdown.
 *
 * <p>Withdrawing the earliest deadline leaves the armed task in place: it fires, finds nothing due
 * and re-arms for the new earliest one. When deadlines of one length arrive in order (the common
 * case), this arms about once per deadline length instead of once per shutdown. Deadlines fire
 * exactly at their instant on the scheduler's clock, so virtual time stays exact (R3).
 */
final class LoopDeadlines {
  private static final System.Logger LOG = System.getLogger(LoopDeadlines.class.getName());
  private final SelectorLoop loop;
  private final Scheduler clock;
  private Entry[] heap = new Entry[16];
  private int size;
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
    private final Runnable onDeadline;
    private final Consumer<RuntimeException> onRejected;
    private int index = -1;
    private boolean done;

    private Entry(long at, Runnable onDeadline, Consumer<RuntimeException> onRejected) {
      this.at = at;
      this.onDeadline = onDeadline;
      this.onRejected = onRejected;
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

  /** @return true when nothing is pending or armed, so the loop can forget this clock */
  boolean idle() {
    return size == 0 && armed == null;
  }

  /**
   * @param at the instant, in {@code clock.now(NANOSECONDS)} terms
   * @param onDeadline run on the loop at that instant unless withdrawn first
   * @param onRejected run on the loop instead if the scheduler refuses to time it
   * @return the entry
   * @throws RejectedExecutionException if the scheduler refuses the first arming (nothing is kept)
   */
  Entry add(long at, Runnable onDeadline, Consumer<RuntimeException> onRejected) {
    Entry e = new Entry(at, onDeadline, onRejected);
    if (size == heap.length) {
      heap = Arrays.copyOf(heap, size * 2);
    }
    e.index = size;
    heap[size++] = e;
    siftUp(e.index);
    if (armed == null || at < armedAt) {
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
    int i = e.index;
    e.index = -1;
    Entry last = heap[--size];
    heap[size] = null;
    if (i != size) {
      heap[i] = last;
      last.index = i;
      siftDown(i);
      if (heap[i] == last) {
        siftUp(i);
      }
    }
    if (size == 0 && heap.length > 1024) {
      heap = new Entry[16]; // a burst of thousands leaves no large array behind
    }
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
    while (size > 0 && heap[0].at - now <= 0) {
      Entry e = heap[0];
      withdraw(e);
      try {
        e.onDeadline.run();
      } catch (VirtualMachineError fatal) {
        throw fatal;
      } catch (RuntimeException | Error failed) {
        // one deadline's failure must not keep the others from firing
        LOG.log(System.Logger.Level.ERROR, "a deadline task failed", failed);
      }
    }
    if (size > 0) {
      try {
        arm(heap[0].at);
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
    while (size > 0) {
      Entry e = heap[0];
      withdraw(e);
      try {
        e.onRejected.accept(why);
      } catch (VirtualMachineError fatal) {
        throw fatal;
      } catch (RuntimeException | Error failed) {
        LOG.log(System.Logger.Level.ERROR, "a deadline's refusal failed", failed);
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
