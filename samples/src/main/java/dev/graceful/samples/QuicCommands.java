package dev.graceful.samples;

import dev.graceful.core.CloseInfo;
import dev.graceful.core.Initiator;
import dev.graceful.core.ShutdownException;
import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownState;
import dev.graceful.quic.QuicCloseArguments;
import dev.graceful.quic.QuicStreamHandle;
import java.nio.ByteBuffer;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** What the QUIC commands share. */
final class QuicCommands {
  private static final int CHUNK = 64 * 1024;
  private static final ByteBuffer ZEROS = ByteBuffer.allocate(CHUNK).asReadOnlyBuffer();

  private QuicCommands() {}

  /** Bad arguments are refused before any I/O (exit 2), as every command does. */
  static void validate(QuicOptions o) {
    if (o.errorCode < 0 || o.errorCode > QuicCloseArguments.MAX_ERROR_CODE) {
      throw new IllegalArgumentException("--error-code must be in [0, 2^62-1], not " + o.errorCode);
    }
    if (o.send < 0) {
      throw new IllegalArgumentException("--send must not be negative");
    }
  }

  /** Writes {@code n} zero bytes in chunks, in order, without concluding the stream. */
  static Mono<Void> sendZeros(QuicStreamHandle s, long n) {
    if (n <= 0) {
      return Mono.empty();
    }
    return Flux.generate(
            () -> n,
            (Long left, reactor.core.publisher.SynchronousSink<ByteBuffer> sink) -> {
              if (left <= 0) {
                sink.complete();
                return 0L;
              }
              int size = (int) Math.min(CHUNK, left);
              sink.next(ZEROS.duplicate().limit(size));
              return left - size;
            })
        .concatMap(s::write, 1)
        .then();
  }

  /**
   * @param r the result
   * @return its line: the result says everything
   */
  static Report.Line line(String peer, QuicOptions o, ShutdownResult r) {
    return new Report.Line(
        peer,
        "QUICv1",
        o.mode,
        r.state(),
        r.initiator(),
        r.elapsed().toMillis(),
        r.connectionBytesRead(),
        false,
        r,
        null);
  }

  /**
   * @param e the error
   * @param state the connection's state when it failed
   * @param elapsedNanos from the start of the shutdown (or of the attempt, when it failed before)
   * @param bytesRead application bytes read from the peer over the connection
   * @return its line: the peer initiated when the close that ended the connection was the peer's
   */
  static Report.Line line(
      String peer,
      QuicOptions o,
      ShutdownException e,
      ShutdownState state,
      long elapsedNanos,
      long bytesRead) {
    Initiator initiator =
        e.closeInfo().map(i -> i.peer() ? Initiator.PEER : Initiator.LOCAL).orElse(Initiator.LOCAL);
    return new Report.Line(
        peer,
        "QUICv1",
        o.mode,
        state,
        initiator,
        java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(elapsedNanos),
        bytesRead,
        false,
        null,
        e);
  }

  /**
   * As {@link TlsClientCommand#asShutdownError}, keeping how the connection was closed when the
   * failure says it: Kwik's failed handshake names the CONNECTION_CLOSE that ended it (the alert
   * the client sent, or the peer's close), and Netty's closed connection the peer's
   * CONNECTION_CLOSE when one arrived. Netty's own failed certificate check, and a connection it
   * closed without a peer's close, say nothing of it: their errors carry no close information.
   *
   * @param t what failed, wrapped or not
   * @param id the connection's identity
   * @return the typed error
   */
  static ShutdownException asShutdownError(Throwable t, String id) {
    Throwable u = reactor.core.Exceptions.unwrap(t);
    if (u instanceof java.util.concurrent.ExecutionException && u.getCause() != null) {
      u = u.getCause(); // Netty's connect future
    }
    if (u instanceof dev.graceful.quic.QuicHandshakeException h) {
      String m = String.valueOf(h.getMessage());
      return new ShutdownException(
          ShutdownException.Reason.PROTOCOL,
          id,
          ShutdownState.NONE,
          "handshake failed: "
              + (m.startsWith(KWIK_PREFIX) ? m.substring(KWIK_PREFIX.length()) : m),
          h,
          h.closeInfo());
    }
    if (u instanceof io.netty.handler.codec.quic.QuicClosedChannelException c
        && c.event() != null) {
      // the event is the peer's CONNECTION_CLOSE; Netty has none when quiche ended the connection
      io.netty.handler.codec.quic.QuicConnectionCloseEvent e = c.event();
      String reason = reason(e);
      boolean tls = !e.isApplicationClose() && e.error() >= 0x100 && e.error() <= 0x1ff;
      return new ShutdownException(
          tls ? ShutdownException.Reason.PROTOCOL : ShutdownException.Reason.TRANSPORT,
          id,
          ShutdownState.NONE,
          (tls ? "handshake failed: " : "connection closed: ")
              + (e.isApplicationClose() ? "application" : "transport")
              + " error 0x"
              + Integer.toHexString(e.error())
              + (reason.isEmpty() ? "" : " (" + reason + ")"),
          c,
          new CloseInfo(
              Integer.toUnsignedLong(e.error()), 0, reason, !e.isApplicationClose(), false));
    }
    return TlsClientCommand.asShutdownError(u, id);
  }

  /** How Kwik begins the message of a failed handshake. */
  private static final String KWIK_PREFIX = "Handshake error: ";

  /** Netty's reason, empty when it holds none (its {@code reason()} then throws). */
  private static String reason(io.netty.handler.codec.quic.QuicConnectionCloseEvent e) {
    try {
      byte[] r = e.reason();
      return r == null ? "" : new String(r, java.nio.charset.StandardCharsets.UTF_8);
    } catch (NullPointerException none) {
      return "";
    }
  }

  /**
   * @return the connection's peer as {@code host:port}, or its identity when Kwik does not say
   */
  static String peer(dev.graceful.quic.QuicConnection c) {
    return c.peerAddress().map(Report::hostPort).orElse(c.connectionId());
  }
}
