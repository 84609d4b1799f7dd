package dev.graceful.samples;

import dev.graceful.core.ShutdownMode;
import dev.graceful.core.ShutdownSpec;
import java.time.Duration;
import javax.net.ssl.SSLEngine;
import picocli.CommandLine.Option;

/** Options every TLS and DTLS subcommand shares. */
final class TlsOptions {
  @Option(
      names = "--tls",
      description = "1.2 or 1.3 (default: both enabled)",
      paramLabel = "VERSION")
  String tls;

  @Option(
      names = "--send",
      description = "bytes to send before the shutdown (default 0)",
      paramLabel = "BYTES",
      converter = ByteCountConverter.class)
  long send;

  @Option(
      names = "--mode",
      description = "bidirectional (default), fast, quiet or wait-peer",
      paramLabel = "M",
      converter = ModeConverter.class)
  ShutdownMode mode = ShutdownMode.BIDIRECTIONAL;

  @Option(
      names = "--timeout",
      description =
          "bounds sending --send bytes, then the whole shutdown, e.g. 500ms, 3s (default 10s)",
      paramLabel = "D",
      converter = DurationConverter.class)
  Duration timeout = Duration.ofSeconds(10);

  @Option(
      names = "--ignore-unexpected-eof",
      description = "accept EOF without close_notify as the peer's close")
  boolean ignoreUnexpectedEof;

  /** Set by the DTLS commands: the same options over datagrams. */
  boolean datagram;

  /** Applies --tls to an engine, refusing versions graceful does not speak. */
  void configure(SSLEngine engine) {
    if (tls == null) {
      engine.setEnabledProtocols(
          datagram ? new String[] {"DTLSv1.2"} : new String[] {"TLSv1.3", "TLSv1.2"});
      return;
    }
    engine.setEnabledProtocols(new String[] {protocol()});
  }

  /**
   * @return "TLS" or "DTLS", the SSLContext protocol
   */
  String contextProtocol() {
    return datagram ? "DTLS" : "TLS";
  }

  String protocol() {
    if (datagram) {
      if (!"1.2".equals(tls)) {
        throw new IllegalArgumentException(
            "--tls must be 1.2 for DTLS (the JDK speaks DTLS 1.2), not '" + tls + "'");
      }
      return "DTLSv1.2";
    }
    return switch (tls) {
      case "1.2" -> "TLSv1.2";
      case "1.3" -> "TLSv1.3";
      default -> throw new IllegalArgumentException("--tls must be 1.2 or 1.3, not '" + tls + "'");
    };
  }

  /** The shutdown policy these options describe, reading into {@code counter} where it reads. */
  ShutdownSpec spec(java.util.function.LongConsumer counter) {
    ShutdownSpec s = ShutdownSpec.of(mode).timeout(timeout);
    if (ignoreUnexpectedEof) {
      s = s.ignoreUnexpectedEof();
    }
    if (mode == ShutdownMode.BIDIRECTIONAL || mode == ShutdownMode.WAIT_PEER) {
      s = s.readInto(b -> counter.accept(b.remaining()));
    }
    return s;
  }

  static final class ModeConverter implements picocli.CommandLine.ITypeConverter<ShutdownMode> {
    @Override
    public ShutdownMode convert(String value) {
      ShutdownMode m;
      try {
        m = ShutdownMode.fromCliName(value);
      } catch (IllegalArgumentException e) {
        m = null;
      }
      if (m == null || m == ShutdownMode.RFC || m == ShutdownMode.RAPID) { // QUIC's modes
        throw new picocli.CommandLine.TypeConversionException(
            "'" + value + "' is not a TLS mode: bidirectional, fast, quiet or wait-peer");
      }
      return m;
    }
  }
}
