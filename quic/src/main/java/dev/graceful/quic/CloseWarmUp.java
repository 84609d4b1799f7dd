package dev.graceful.quic;

import dev.graceful.core.ShutdownSpec;
import dev.graceful.core.spi.ShutdownCoordinator;
import dev.graceful.quic.internal.KwikEngine;
import java.lang.reflect.Proxy;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import tech.kwik.core.ConnectionListener;
import tech.kwik.core.ConnectionTerminatedEvent;
import tech.kwik.core.QuicConnection;
import tech.kwik.core.Statistics;

/**
 * Q7: a fresh JVM's first close pays for loading and linking everything on its path, tens of
 * milliseconds that the first rapid close would report before {@code SENT}. Most of it is linking,
 * not work: graceful's shutdown classes and lambdas, and the JDK's string concatenation, which
 * spins its method handles on the first use of each shape (Kwik builds a log message of the end on
 * every close, logger or not). This does that once, off the caller's thread, while the handshake or
 * the application's first exchanges run: a rapid close of a stand-in connection that sends nothing,
 * and the shapes of the messages Kwik builds when a connection of its class ends. Nothing it does
 * reaches a real connection or the network; a failure only leaves the first close as slow as it
 * was.
 */
final class CloseWarmUp {
  private static final System.Logger LOG = System.getLogger(CloseWarmUp.class.getName());
  private static final AtomicBoolean GRACEFUL = new AtomicBoolean();
  private static final Set<Class<?>> KWIK = ConcurrentHashMap.newKeySet();

  private CloseWarmUp() {}

  /**
   * graceful's close path, once per JVM.
   *
   * @param where where it runs (never a loop)
   */
  static void graceful(Executor where) {
    if (GRACEFUL.compareAndSet(false, true)) {
      // the messages' shapes do not depend on the connection: linked here, before any handshake
      // ends, and not beside a first close that follows its connection's wrapping at once
      run(
          where,
          () -> {
            standInClose();
            messageShapes("graceful's close warm-up");
          });
    }
  }

  /**
   * graceful's close path once per JVM, and the messages Kwik builds when a connection of this
   * one's class ends, once per class.
   *
   * @param connection a Kwik connection, established
   * @param where where it runs (never a loop)
   */
  static void closePath(QuicConnection connection, Executor where) {
    graceful(where);
    if (KWIK.add(connection.getClass())) {
      run(where, () -> kwikMessages(connection));
    }
  }

  private static void run(Executor where, Runnable warmUp) {
    try {
      where.execute(
          () -> {
            try {
              warmUp.run();
            } catch (VirtualMachineError e) {
              throw e;
            } catch (RuntimeException | LinkageError | AssertionError e) {
              LOG.log(System.Logger.Level.DEBUG, "close path not warmed up: " + e);
            }
          });
    } catch (RejectedExecutionException stopping) {
      // the application is stopping: nothing to warm up for
    }
  }

  /**
   * A rapid close, through the engine and the coordinator, of a connection that is not there.
   *
   * @return its result, there already: everything runs on the calling thread
   */
  static java.util.concurrent.CompletableFuture<dev.graceful.core.ShutdownResult> standInClose() {
    AtomicReference<ConnectionListener> listener = new AtomicReference<>();
    QuicConnection standIn =
        (QuicConnection)
            Proxy.newProxyInstance(
                QuicConnection.class.getClassLoader(),
                new Class<?>[] {QuicConnection.class},
                (proxy, method, args) ->
                    switch (method.getName()) {
                      case "setConnectionListener" -> {
                        listener.set((ConnectionListener) args[0]);
                        yield null;
                      }
                      case "getStats" -> statistics();
                      case "close" -> {
                        // as Kwik reports its own immediate close
                        if (args != null && args.length == 2 && args[0] instanceof Long code) {
                          listener
                              .get()
                              .disconnected(
                                  new ConnectionTerminatedEvent(
                                      (QuicConnection) proxy,
                                      ConnectionTerminatedEvent.CloseReason.ImmediateClose,
                                      false,
                                      null,
                                      code,
                                      (String) args[1]));
                        }
                        yield null;
                      }
                      case "hashCode" -> System.identityHashCode(proxy);
                      case "equals" -> proxy == args[0];
                      case "toString" -> "graceful's close warm-up";
                      default -> null;
                    });
    Executor direct = Runnable::run;
    KwikEngine engine = new KwikEngine(standIn, direct, "warm-up", direct);
    engine.listen();
    return new ShutdownCoordinator(new QuicShutdownEngine(engine))
        .shutdown(
            ShutdownSpec.bidirectional()
                .rapid()
                .noStreamFlush()
                .with(QuicShutdown.defaults().closeWith(0, "warm-up")))
        .toFuture();
  }

  /**
   * @return statistics of a 1 ms round trip, for the stand-in's closing period; built by
   *     reflection, its sender's package being one Kwik does not export (on the module path this
   *     fails, and the warm-up stops short of the closing period)
   */
  private static Statistics statistics() throws ReflectiveOperationException {
    Class<?> send = Class.forName("tech.kwik.core.send.SendStatistics");
    Object s =
        send.getConstructor(
                int.class,
                long.class,
                long.class,
                long.class,
                long.class,
                int.class,
                int.class,
                int.class)
            .newInstance(0, 0L, 0L, 0L, 0L, 1, 0, 1);
    return Statistics.class.getConstructor(send).newInstance(s);
  }

  /**
   * The messages Kwik 0.10.9 builds when a connection ends, whatever its logger: the connection's
   * own description, the termination's, and the sentence they go into. Their shapes are what the
   * JDK links on first use; the strings are dropped.
   */
  static void kwikMessages(QuicConnection connection) {
    messageShapes(connection);
    LOG.log(System.Logger.Level.TRACE, () -> "close messages warmed up: " + KWIK.size());
  }

  /**
   * @param connection what the messages name: a Kwik connection, whose class's description this
   *     builds too, or any object, for the shapes alone
   */
  private static void messageShapes(Object connection) {
    QuicConnection named = connection instanceof QuicConnection c ? c : null;
    ConnectionTerminatedEvent ours =
        new ConnectionTerminatedEvent(
            named, ConnectionTerminatedEvent.CloseReason.ImmediateClose, false, null, 0L, "");
    ConnectionTerminatedEvent silent =
        new ConnectionTerminatedEvent(
            named, ConnectionTerminatedEvent.CloseReason.IdleTimeout, false);
    int length = 0;
    for (ConnectionTerminatedEvent e : new ConnectionTerminatedEvent[] {ours, silent}) {
      String message =
          (e.closedByPeer() ? "Peer is closing " : "Closing ")
              + connection
              + (e.hasError()
                  ? " with error " + e.errorDescription()
                  : " (reason: " + e.closeReason() + ")");
      length += message.length();
    }
    if (length < 0) {
      throw new AssertionError(); // keeps the messages built
    }
  }
}
