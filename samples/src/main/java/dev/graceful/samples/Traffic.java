package dev.graceful.samples;

import dev.graceful.core.ShutdownException;
import dev.graceful.tls.TlsConnection;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Small helpers the commands share. */
final class Traffic {
  private static final int CHUNK = 64 * 1024;
  private static final ByteBuffer ZEROS = ByteBuffer.allocate(CHUNK).asReadOnlyBuffer();

  private Traffic() {}

  /** Sends {@code n} zero bytes in chunks, in order. */
  static Mono<Void> sendZeros(TlsConnection c, long n) {
    if (n <= 0) {
      return Mono.empty();
    }
    return Flux.generate(
            () -> n,
            (left, sink) -> {
              if (left <= 0) {
                sink.complete();
                return 0L;
              }
              int size = (int) Math.min(CHUNK, left);
              sink.next(ZEROS.duplicate().limit(size));
              return left - size;
            })
        .concatMap(b -> c.send((ByteBuffer) b), 1)
        .then();
  }

  /**
   * Sends {@code n} zero bytes within {@code timeout}.
   *
   * @return completes when sent; errors with a {@code TIMEOUT} {@link ShutdownException} when the
   *     peer did not take them in time (it is not reading)
   */
  static Mono<Void> sendZeros(TlsConnection c, long n, Duration timeout) {
    return sendZeros(c, n)
        .timeout(
            timeout,
            Mono.error(
                () ->
                    new ShutdownException(
                        ShutdownException.Reason.TIMEOUT,
                        c.connectionId(),
                        c.shutdownState(),
                        "sending "
                            + n
                            + " bytes did not end within "
                            + timeout
                            + ": the peer is not reading",
                        null)));
  }

  /** Parses {@code HOST:PORT}. */
  static InetSocketAddress hostPort(String value) {
    int colon = value.lastIndexOf(':');
    if (colon <= 0 || colon == value.length() - 1) {
      throw new IllegalArgumentException("--connect wants HOST:PORT, not '" + value + "'");
    }
    String host = value.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port;
    try {
      port = Integer.parseInt(value.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("bad port in '" + value + "'");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port out of range in '" + value + "'");
    }
    return InetSocketAddress.createUnresolved(host, port);
  }

  /**
   * Resolves {@code --connect}'s host: a name that does not resolve is a setup error.
   *
   * @param target as {@link #hostPort} returned it
   * @return the resolved address, keeping the host name given (it is what the server's certificate
   *     is verified against)
   */
  static InetSocketAddress resolve(InetSocketAddress target) {
    InetSocketAddress resolved = new InetSocketAddress(target.getHostString(), target.getPort());
    if (resolved.isUnresolved()) {
      throw new SetupException("unknown host: " + target.getHostString());
    }
    return resolved;
  }
}
