package dev.graceful.quic.internal;

import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.jspecify.annotations.Nullable;
import tech.kwik.core.QuicConnection;

/**
 * The thread on which Kwik processes what the peer sends, and whether it still runs: a connection
 * whose receive thread ended while it is open hears nothing from its peer, so no acknowledgement
 * can end a drain.
 */
final class Receiver {
  // the engine's logger: the warning belongs to the engine that ends its drain on it
  private static final System.Logger LOG = System.getLogger(KwikEngine.class.getName());

  private final QuicConnection connection;
  private final String identity;
  private final Executor blockingCalls;
  // Where Kwik processes what the peer sends, when known: a client's, found here; a server-side
  // connection's, set once from Kwik's thread before any shutdown
  private volatile @Nullable Thread receiveThread;

  /**
   * @param connection the Kwik connection
   * @param identity a name for the warning
   * @param blockingCalls where the warning is logged (never the loop)
   */
  Receiver(QuicConnection connection, String identity, Executor blockingCalls) {
    this.connection = connection;
    this.identity = identity;
    this.blockingCalls = blockingCalls;
    this.receiveThread = KwikInternals.clientReceiveThread(connection).orElse(null);
  }

  /**
   * @param thread a server-side connection's receive thread; any thread
   */
  void receiveThread(Thread thread) {
    receiveThread = thread;
  }

  /**
   * @return true when the connection is open but its receive thread has ended (Kwik's own state
   *     still open: a termination ends that thread too, and is reported as such)
   */
  boolean deaf() {
    Thread receiver = receiveThread;
    if (receiver == null
        || receiver.isAlive()
        || !KwikInternals.state(connection).map(Receiver::isOpen).orElse(false)) {
      return false;
    }
    String warning =
        identity
            + ": Kwik's receive thread ended while the connection is open; it hears nothing"
            + " from the peer, so the drain ends as NOT_DRAINED. (Kwik 0.10.9 under -ea ends it on"
            + " loopback: an assertion in LossDetector; see docs/quic.md.)";
    try {
      // not on the loop: a logger's handler may write to a file or a console, and block
      blockingCalls.execute(() -> LOG.log(System.Logger.Level.WARNING, warning));
    } catch (RejectedExecutionException stopping) {
      // the application is stopping; the result says NOT_DRAINED all the same
    }
    return true;
  }

  private static boolean isOpen(String kwikState) {
    return switch (kwikState) {
      case "Created", "Handshaking", "Connected" -> true;
      default -> false;
    };
  }
}
