package dev.graceful.samples;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;

/**
 * SIGTERM and SIGINT, handled so that a server subcommand ends by a normal {@code System.exit} with
 * its own exit code.
 *
 * <p>Why not a shutdown hook: a hook runs once the JVM has already begun exiting with the signal's
 * status (143 for SIGTERM). It cannot choose the exit code, and calling {@code System.exit} from it
 * (or from any thread while it runs) blocks forever, since the exit in progress holds the lock
 * every exit takes. So the JDK's {@code sun.misc.Signal} (module {@code jdk.unsupported}) replaces
 * the JVM's default action for both signals: the handler only starts the graceful shutdown and
 * returns; the command's main thread, waiting for the end, wakes once every report line is printed
 * and returns the exit code, and {@code Main} exits with it. The class is reached by reflection,
 * since javac warns on every direct use of it and the build treats warnings as errors.
 *
 * <p>Where that class is missing (another JVM, or {@code -Xrs}), a shutdown hook stands in: it runs
 * the same shutdown and waits until the report is printed, and the process exits with the signal's
 * status.
 */
final class TerminationSignals {
  private TerminationSignals() {}

  /**
   * @param onSignal starts the graceful shutdown; called for each SIGTERM or SIGINT (it must ignore
   *     repeats), never blocking
   * @param awaitEnd waits until the shutdown it started has printed everything (for the hook)
   */
  static void handle(Runnable onSignal, InterruptibleWait awaitEnd) {
    if (!handleWithSignalClass(onSignal)) {
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> {
                    onSignal.run();
                    try {
                      awaitEnd.await();
                    } catch (InterruptedException e) {
                      Thread.currentThread().interrupt();
                    }
                  },
                  "graceful-signal"));
    }
  }

  /** A wait that may be interrupted. */
  interface InterruptibleWait {
    /**
     * @throws InterruptedException if interrupted
     */
    void await() throws InterruptedException;
  }

  private static boolean handleWithSignalClass(Runnable onSignal) {
    try {
      Class<?> signal = Class.forName("sun.misc.Signal");
      Class<?> handler = Class.forName("sun.misc.SignalHandler");
      InvocationHandler calls = (proxy, method, args) -> answer(proxy, method, args, onSignal);
      Object h =
          Proxy.newProxyInstance(
              TerminationSignals.class.getClassLoader(), new Class<?>[] {handler}, calls);
      Method handle = signal.getMethod("handle", signal, handler);
      for (String name : new String[] {"TERM", "INT"}) {
        handle.invoke(null, signal.getConstructor(String.class).newInstance(name), h);
      }
      return true;
    } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
      System.err.println(
          "graceful: cannot handle signals (" + e + "); a shutdown hook ends the process instead");
      return false;
    }
  }

  private static Object answer(Object proxy, Method method, Object[] args, Runnable onSignal) {
    switch (method.getName()) {
      case "handle":
        onSignal.run();
        return null;
      case "equals":
        return proxy == args[0];
      case "hashCode":
        return System.identityHashCode(proxy);
      default:
        return "graceful signal handler";
    }
  }
}
