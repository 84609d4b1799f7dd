package dev.graceful.tls;

import dev.graceful.core.spi.loop.SelectorLoop;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The sockets a {@link TlsServer} accepted whose TLS handshake has not completed yet, each with its
 * deadline on its own loop. One that reaches its deadline, or that a server shutdown finds without
 * a hello, is aborted: closed with nothing sent, since it has no TLS session to end.
 */
final class PendingHandshakes {
  private static final System.Logger LOG = System.getLogger(PendingHandshakes.class.getName());

  /** One accepted socket until its handshake settles. */
  final class Pending {
    final ChannelTransport transport;
    final SelectorLoop loop;
    private final Runnable onAbort;
    private final AtomicBoolean over = new AtomicBoolean();
    private Disposable handshake; // loop only; set once the handshake is subscribed
    private volatile Disposable deadline;

    private Pending(ChannelTransport transport, SelectorLoop loop, Runnable onAbort) {
      this.transport = transport;
      this.loop = loop;
      this.onAbort = onAbort;
    }

    /**
     * @return true once it has settled (a socket aborted at once is, for one)
     */
    boolean isOver() {
      return over.get();
    }

    /**
     * @param handshake the subscription to the handshake, cancelled if it is aborted
     */
    void handshake(Disposable handshake) {
      this.handshake = handshake;
    }

    /**
     * The handshake settled (done, failed or aborted).
     *
     * @return true the first time only: the caller settles it
     */
    boolean end() {
      if (!over.compareAndSet(false, true)) {
        return false;
      }
      pending.remove(this);
      Disposable d = deadline;
      if (d != null) {
        d.dispose();
      }
      return true;
    }

    /** Aborts on its loop, unless it has settled by then. */
    private Mono<Void> abortOnLoop(String why, boolean onlyIfSilent) {
      return Mono.create(
          sink -> {
            try {
              loop.execute(
                  () -> {
                    if (!onlyIfSilent || !transport.hasReceived()) {
                      abort(why);
                    }
                    sink.success();
                  });
            } catch (RejectedExecutionException gone) {
              sink.success(); // the loop is gone, and its sockets with it
            }
          });
    }

    /** On its loop: closes the socket with nothing sent, unless the handshake settled already. */
    private void abort(String why) {
      if (!end()) {
        return;
      }
      if (handshake != null) {
        handshake.dispose();
      }
      LOG.log(System.Logger.Level.DEBUG, () -> transport.describe() + ": " + why);
      onAbort.run(); // counted before the peer can see the close
      transport.close();
    }
  }

  private final Set<Pending> pending = ConcurrentHashMap.newKeySet();
  private final TlsServerOptions options;

  /**
   * @param options the handshake deadline and its scheduler
   */
  PendingHandshakes(TlsServerOptions options) {
    this.options = options;
  }

  /**
   * On {@code loop}: holds an accepted socket and arms its handshake deadline.
   *
   * @param onAbort what the server does when it is aborted (count it, settle it); on the loop
   * @return the pending handshake
   */
  Pending add(ChannelTransport transport, SelectorLoop loop, Runnable onAbort) {
    Pending p = new Pending(transport, loop, onAbort);
    pending.add(p);
    Duration timeout = options.handshakeTimeout();
    String late = "no TLS handshake within " + timeout + ": closed with nothing sent";
    long at = options.scheduler().now(TimeUnit.NANOSECONDS) + timeout.toNanos();
    try {
      p.deadline =
          loop.deadline(options.scheduler(), at, () -> p.abort(late), refused -> p.abort(late));
    } catch (RejectedExecutionException refused) {
      // the scheduler cannot time it: a socket that may never handshake is not kept unbounded
      p.abort("the handshake deadline cannot be timed (" + refused.getMessage() + "): closed");
    }
    return p;
  }

  /**
   * @return completes once every pending socket that has not received a byte (no hello: no TLS
   *     session to end) is closed, each on its own loop; handshakes under way go on
   */
  Mono<Void> closeSilent() {
    return Flux.fromIterable(List.copyOf(pending))
        .flatMap(
            p -> p.abortOnLoop("closed by the server's shutdown before any hello arrived", true))
        .then();
  }

  /**
   * @return completes once every pending socket is closed, each on its own loop
   */
  Mono<Void> abortAll(String why) {
    return Flux.fromIterable(List.copyOf(pending)).flatMap(p -> p.abortOnLoop(why, false)).then();
  }
}
