package dev.graceful.netty.quic;

import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.core.spi.ShutdownCoordinator;
import dev.graceful.netty.quic.internal.NettyQuicEngine;
import dev.graceful.quic.QuicShutdown;
import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicConnectionPathStats;
import io.netty.handler.codec.quic.QuicConnectionStats;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Q7: a fresh JVM's first close on Netty's codec pays for loading and linking everything on its
 * path (Reactor's operators, graceful's coordinator and engine, the JDK's method-handle forms their
 * lambdas spin), tens of milliseconds the first rapid close would report before {@code SENT}. This
 * does that once per JVM on a short-lived daemon thread of its own: a rapid close, through the
 * engine and the coordinator, of a stand-in channel with no codec behind it, whose event loop is an
 * {@link EmbeddedChannel}'s that the warm-up thread runs itself. Nothing reaches a real connection
 * or the network; a failure only leaves the first close as slow as it was.
 */
final class CloseWarmUp {
  private static final System.Logger LOG = System.getLogger(CloseWarmUp.class.getName());
  private static final AtomicBoolean STARTED = new AtomicBoolean();

  /** The stand-in's round trip, for its closing period's estimate. */
  private static final long RTT_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

  /** The stand-in's loop runs at most this many rounds: its close takes two. */
  private static final int MAX_ROUNDS = 1_000;

  private CloseWarmUp() {}

  /** Starts the warm-up, once per JVM; returns at once. */
  static void start() {
    if (!STARTED.compareAndSet(false, true)) {
      return;
    }
    Thread t =
        new Thread(
            () -> {
              try {
                ShutdownResult r = standInClose().getNow(null);
                LOG.log(System.Logger.Level.TRACE, () -> "close path warmed up: " + r);
              } catch (VirtualMachineError e) {
                throw e;
              } catch (RuntimeException | LinkageError | AssertionError e) {
                LOG.log(System.Logger.Level.DEBUG, "close path not warmed up: " + e);
              }
            },
            "graceful-netty-quic-warm-up");
    t.setDaemon(true);
    try {
      t.start();
    } catch (OutOfMemoryError | IllegalThreadStateException noThread) {
      // no thread to spare: the first close links its path itself
    }
  }

  /**
   * A rapid close of a stand-in channel, on the calling thread.
   *
   * @return its result, there already unless the stand-in's loop did not settle
   */
  static CompletableFuture<ShutdownResult> standInClose() {
    EmbeddedChannel loop = new EmbeddedChannel();
    AtomicLong packetsSent = new AtomicLong();
    try {
      QuicChannel standIn =
          (QuicChannel)
              Proxy.newProxyInstance(
                  QuicChannel.class.getClassLoader(),
                  new Class<?>[] {QuicChannel.class},
                  (proxy, m, args) -> answer(loop, packetsSent, proxy, m, args));
      NettyQuicEngine engine = new NettyQuicEngine(standIn, "warm-up");
      engine.listen();
      CompletableFuture<ShutdownResult> f =
          new ShutdownCoordinator(engine)
              .shutdown(
                  ShutdownSpec.bidirectional()
                      .rapid()
                      .noStreamFlush()
                      .with(QuicShutdown.defaults().closeWith(0, "warm-up")))
              .toFuture();
      for (int round = 0; round < MAX_ROUNDS && !f.isDone(); round++) {
        loop.runPendingTasks();
      }
      return f;
    } finally {
      loop.finishAndReleaseAll();
    }
  }

  private static Object answer(
      EmbeddedChannel loop, AtomicLong packetsSent, Object proxy, Method m, Object[] args) {
    return switch (m.getName()) {
      case "pipeline" -> loop.pipeline();
      case "eventLoop" -> loop.eventLoop();
      case "closeFuture" -> loop.closeFuture();
      case "isOpen" -> loop.isOpen();
      case "isActive" -> loop.isActive();
      case "isTimedOut" -> false;
      case "close" -> {
        if (args != null && args.length == 3 && args[2] instanceof ByteBuf reason) {
          reason.release();
          // as Netty's codec does: the connection is freed as its close is sent
          loop.eventLoop().execute(loop::close);
          yield loop.newSucceededFuture();
        }
        throw new UnsupportedOperationException("the stand-in closes as an application only");
      }
      // each look sees one more packet sent: the close went out
      case "collectStats" ->
          loop.eventLoop().newSucceededFuture(stats(packetsSent.incrementAndGet()));
      case "collectPathStats" -> loop.eventLoop().newSucceededFuture(pathStats());
      case "hashCode" -> System.identityHashCode(proxy);
      case "equals" -> proxy == args[0];
      case "toString" -> "graceful's close warm-up";
      default -> throw new UnsupportedOperationException(m.getName());
    };
  }

  private static QuicConnectionStats stats(long sent) {
    return (QuicConnectionStats)
        Proxy.newProxyInstance(
            QuicConnectionStats.class.getClassLoader(),
            new Class<?>[] {QuicConnectionStats.class},
            (proxy, m, args) -> m.getReturnType() == long.class ? sent : null);
  }

  private static QuicConnectionPathStats pathStats() {
    return (QuicConnectionPathStats)
        Proxy.newProxyInstance(
            QuicConnectionPathStats.class.getClassLoader(),
            new Class<?>[] {QuicConnectionPathStats.class},
            (proxy, m, args) -> m.getName().equals("rtt") ? RTT_NANOS : null);
  }
}
