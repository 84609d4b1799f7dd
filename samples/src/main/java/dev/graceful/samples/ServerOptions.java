package dev.graceful.samples;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Options every server subcommand shares (TLS, DTLS and QUIC). */
final class ServerOptions {
  @Option(names = "--port", required = true, paramLabel = "PORT", description = "port to listen on")
  int port;

  @Option(names = "--bind", paramLabel = "ADDRESS", description = "address to listen on (default 127.0.0.1)")
  String bind = "127.0.0.1";

  @Option(names = "--cert", paramLabel = "F", description = "PEM certificate (chain)")
  Path cert;

  @Option(names = "--key", paramLabel = "F", description = "PEM private key, unencrypted")
  Path key;

  @Option(names = "--accept", paramLabel = "N", description = "connections to accept (default: unlimited)")
  Integer accept;

  @Option(names = "--hold", description = "keep connections open, reading, until told to stop")
  boolean hold;

  /** Refuses a bad --accept before any I/O. */
  void validate() {
    if (accept != null && accept < 1) {
      throw new IllegalArgumentException("--accept must be at least 1");
    }
  }
}
