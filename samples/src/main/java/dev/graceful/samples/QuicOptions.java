package dev.graceful.samples;

import dev.graceful.core.ShutdownMode;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.quic.QuicShutdown;
import java.time.Duration;
import picocli.CommandLine.Option;

/** Options every QUIC subcommand shares. */
final class QuicOptions {
  /** Which QUIC implementation carries the connection. */
  enum Stack {
    KWIK,
    NETTY
  }

  @Option(
      names = "--stack",
      description = "QUIC implementation: kwik (default) or netty (Netty's QUIC codec)",
      paramLabel = "S",
      converter = StackConverter.class)
  Stack stack = Stack.KWIK;

  @Option(
      names = "--alpn",
      description = "application protocol (default graceful)",
      paramLabel = "P")
  String alpn = "graceful";

  @Option(
      names = "--send",
      description = "bytes to write before the shutdown (default 0)",
      paramLabel = "BYTES",
      converter = ByteCountConverter.class)
  long send;

  @Option(
      names = "--mode",
      description = "rfc (default), rapid or wait-peer",
      paramLabel = "M",
      converter = ModeConverter.class)
  ShutdownMode mode = ShutdownMode.RFC;

  @Option(
      names = "--no-stream-flush",
      description = "close without draining written stream data first")
  boolean noStreamFlush;

  @Option(
      names = "--error-code",
      description = "application error code, 0 to 2^62-1 (default 0)",
      paramLabel = "N")
  long errorCode;

  @Option(names = "--reason", description = "reason phrase (default empty)", paramLabel = "TEXT")
  String reason = "";

  @Option(
      names = "--timeout",
      description = "bounds the whole shutdown, e.g. 500ms, 3s (default 10s)",
      paramLabel = "D",
      converter = DurationConverter.class)
  Duration timeout = Duration.ofSeconds(10);

  /**
   * The shutdown these options describe; an out-of-range code fails in the shutdown itself (Q2).
   */
  ShutdownSpec spec() {
    ShutdownSpec s =
        ShutdownSpec.of(mode)
            .timeout(timeout)
            .with(QuicShutdown.defaults().closeWith(errorCode, reason));
    return noStreamFlush && mode != ShutdownMode.WAIT_PEER ? s.noStreamFlush() : s;
  }

  static final class StackConverter implements picocli.CommandLine.ITypeConverter<Stack> {
    @Override
    public Stack convert(String value) {
      return switch (value) {
        case "kwik" -> Stack.KWIK;
        case "netty" -> Stack.NETTY;
        default ->
            throw new picocli.CommandLine.TypeConversionException(
                "'" + value + "' is not a QUIC stack: kwik or netty");
      };
    }
  }

  static final class ModeConverter implements picocli.CommandLine.ITypeConverter<ShutdownMode> {
    @Override
    public ShutdownMode convert(String value) {
      return switch (value) {
        case "rfc" -> ShutdownMode.RFC;
        case "rapid" -> ShutdownMode.RAPID;
        case "wait-peer" -> ShutdownMode.WAIT_PEER;
        default ->
            throw new picocli.CommandLine.TypeConversionException(
                "'" + value + "' is not a QUIC mode: rfc, rapid or wait-peer");
      };
    }
  }
}
