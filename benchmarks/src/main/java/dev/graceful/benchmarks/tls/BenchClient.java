package dev.graceful.benchmarks.tls;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;

/**
 * The load: N TLS clients on the hand-written loop, the same for every server stack. Each client
 * counts as verified only when its engine unwrapped the server's close_notify alert (a TCP close
 * alone counts as truncated); unless silent, it answers with its own close_notify.
 */
final class BenchClient implements AutoCloseable, NioTls.Events {
  private final List<NioLoop> loops = new ArrayList<>();
  private final SSLContext context;
  private final List<NioTls> all = new ArrayList<>(); // guarded by this
  private final AtomicInteger handshaken = new AtomicInteger();
  private final AtomicInteger verified = new AtomicInteger();
  private final AtomicInteger truncated = new AtomicInteger();

  /** System.nanoTime() of the first and the last close_notify received since {@link #open}. */
  private final java.util.concurrent.atomic.AtomicLong firstNotify =
      new java.util.concurrent.atomic.AtomicLong();

  private final java.util.concurrent.atomic.AtomicLong lastNotify =
      new java.util.concurrent.atomic.AtomicLong();

  /** System.nanoTime() of each close_notify received since {@link #open}, in order of arrival. */
  private volatile long[] arrivals = new long[0];

  private final AtomicInteger arrived = new AtomicInteger();
  private volatile boolean silent;
  private volatile String lastProblem;

  BenchClient(SSLContext context, int loopCount) {
    this.context = context;
    for (int i = 0; i < loopCount; i++) {
      loops.add(new NioLoop("bench-client-" + i));
    }
  }

  /**
   * Opens and handshakes {@code n} connections, at most {@code window} handshakes in flight.
   *
   * @return once all are handshaken
   */
  void open(InetSocketAddress server, String protocol, int n, int window, long timeoutMs)
      throws Exception {
    handshaken.set(0);
    verified.set(0);
    truncated.set(0);
    firstNotify.set(0);
    lastNotify.set(0);
    arrivals = new long[n];
    arrived.set(0);
    lastProblem = null;
    AtomicInteger started = new AtomicInteger();
    CompletableFuture<Void> done = new CompletableFuture<>();
    Runnable[] next = new Runnable[1];
    next[0] =
        () -> {
          int i = started.getAndIncrement();
          if (i >= n) {
            return;
          }
          NioLoop loop = loops.get(i % loops.size());
          loop.execute(() -> connect(server, protocol, loop, next[0], done, n));
        };
    for (int i = 0; i < Math.min(window, n); i++) {
      next[0].run();
    }
    done.get(timeoutMs, TimeUnit.MILLISECONDS);
  }

  private void connect(
      InetSocketAddress server,
      String protocol,
      NioLoop loop,
      Runnable next,
      CompletableFuture<Void> done,
      int n) {
    try {
      SocketChannel ch = SocketChannel.open();
      ch.configureBlocking(false);
      ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
      SSLEngine ssl = context.createSSLEngine();
      ssl.setUseClientMode(true);
      ssl.setEnabledProtocols(new String[] {protocol});
      NioTls c =
          new NioTls(
              ch,
              ssl,
              loop,
              new NioTls.Events() {
                @Override
                public void handshaken(NioTls c) {
                  BenchClient.this.handshaken(c);
                  if (handshaken.get() == n) {
                    done.complete(null);
                  }
                  next.run();
                }

                @Override
                public void closeNotify(NioTls c) {
                  BenchClient.this.closeNotify(c);
                }

                @Override
                public void sent(NioTls c) {}

                @Override
                public void ended(NioTls c, String why) {
                  BenchClient.this.ended(c, why);
                  if (!c.closeNotifyReceived() && handshaken.get() < n) {
                    done.completeExceptionally(new IOException("handshake failed: " + why));
                  }
                }
              });
      synchronized (this) {
        all.add(c);
      }
      if (ch.connect(server)) {
        c.start();
      } else {
        loop.register(
            ch,
            SelectionKey.OP_CONNECT,
            k -> {
              try {
                if (ch.finishConnect()) {
                  c.start(); // the same key, now for reads
                }
              } catch (IOException e) {
                k.cancel();
                done.completeExceptionally(e);
              }
            });
      }
    } catch (IOException e) {
      done.completeExceptionally(e);
    }
  }

  void silent(boolean silent) {
    this.silent = silent;
  }

  int verified() {
    return verified.get();
  }

  int truncated() {
    return truncated.get();
  }

  String lastProblem() {
    return lastProblem;
  }

  /**
   * Waits (polling, this is a harness) until {@code n} close_notify alerts arrived or time ran out.
   */
  boolean awaitVerified(int n, long timeoutMs) throws InterruptedException {
    long until = System.currentTimeMillis() + timeoutMs;
    while (verified.get() + truncated.get() < n && System.currentTimeMillis() < until) {
      Thread.sleep(2);
    }
    return verified.get() == n;
  }

  /** Resets every connection. */
  void abortAll() {
    List<NioTls> now;
    synchronized (this) {
      now = new ArrayList<>(all);
      all.clear();
    }
    now.forEach(NioTls::abort); // legal from any thread; each selector drops its keys next
    CompletableFuture<?>[] done = new CompletableFuture<?>[loops.size()];
    for (int i = 0; i < loops.size(); i++) {
      CompletableFuture<Void> f = new CompletableFuture<>();
      done[i] = f;
      loops.get(i).execute(() -> f.complete(null));
    }
    CompletableFuture.allOf(done).join();
  }

  @Override
  public void handshaken(NioTls c) {
    handshaken.incrementAndGet();
  }

  /**
   * @return {@code [first, last]}: System.nanoTime() of the first and last close_notify received
   */
  long[] notifyTimes() {
    return new long[] {firstNotify.get(), lastNotify.get()};
  }

  /**
   * @return System.nanoTime() of each close_notify received since {@link #open} whose arrival is
   *     counted in {@link #verified()} as read before this call, in no particular order
   */
  long[] closeNotifyTimes() {
    int n = verified.get();
    long[] a = arrivals;
    return java.util.Arrays.stream(a, 0, Math.min(n, a.length)).filter(t -> t != 0).toArray();
  }

  /**
   * @return the client loops' {@code [wake-ups with ready keys, keys handled]} so far, summed
   */
  long[] readiness() {
    long[] sum = new long[2];
    for (NioLoop l : loops) {
      long[] r = l.readiness();
      sum[0] += r[0];
      sum[1] += r[1];
    }
    return sum;
  }

  @Override
  public void closeNotify(NioTls c) {
    long now = System.nanoTime();
    firstNotify.compareAndSet(0, now);
    lastNotify.accumulateAndGet(now, Math::max);
    int i = arrived.getAndIncrement();
    long[] a = arrivals;
    if (i < a.length) {
      a[i] = now; // before the count below, which publishes it to awaitVerified's caller
    }
    verified.incrementAndGet();
    if (!silent) {
      c.close();
    }
  }

  @Override
  public void sent(NioTls c) {}

  @Override
  public void ended(NioTls c, String why) {
    if (!c.closeNotifyReceived()) {
      truncated.incrementAndGet();
      lastProblem = why;
    }
  }

  @Override
  public void close() {
    loops.forEach(NioLoop::close);
  }
}
