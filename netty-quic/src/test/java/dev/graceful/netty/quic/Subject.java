package dev.graceful.netty.quic;

import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.core.ShutdownState;
import java.nio.ByteBuffer;
import java.util.Optional;
import reactor.core.publisher.Mono;

/**
 * A graceful QUIC connection under test, whichever stack carries it: the one face the shared suite
 * drives. Test code.
 */
interface Subject {
  Mono<ShutdownResult> shutdown(ShutdownSpec spec);

  ShutdownState state();

  Mono<Void> setState(ShutdownState s);

  /** A stream graceful tracks (its writes are drained). */
  Mono<Stream> open(boolean bidirectional);

  Mono<Void> ended();

  /** Opens a unidirectional stream past graceful (not drained) and writes {@code data} on it. */
  Mono<Void> sendUntracked(byte[] data);

  /** A stream under test. */
  interface Stream {
    Mono<Void> write(ByteBuffer data);

    Mono<Void> conclude();

    Mono<Void> reset(long code);

    Mono<Long> readAll();

    Mono<ShutdownResult> shutdown(ShutdownSpec spec);

    Optional<ShutdownState> state();

    boolean bidirectional();

    Stream acknowledgedBy(org.reactivestreams.Publisher<?> ack);
  }

  /**
   * A connection a subject server accepted, with the streams its peer opens and the server's way to
   * count work on it as in flight (G2).
   */
  record Accepted(
      Subject connection,
      reactor.core.publisher.Flux<Stream> peerStreams,
      java.util.function.UnaryOperator<Mono<Void>> track) {}

  /** A graceful QUIC server under test. */
  interface Server extends AutoCloseable {
    int port();

    reactor.core.publisher.Flux<Accepted> connections();

    Mono<dev.graceful.core.ShutdownReport> shutdown(dev.graceful.core.ServerShutdown how);

    @Override
    void close();
  }
}
