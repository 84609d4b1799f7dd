package dev.graceful.samples;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Options every server subcommand shares (TLS, DTLS and QUIC). */
final class ServerOptions {
  @Option(names = "--port", required = true, paramLabel = "PORT", description = "port to listen on")
  int port;

  @Option(
      names = "--bind",
      paramLabel = "ADDRESS",
      description = "address to listen on (default 127.0.0.1)")
  String bind = "127.0.0.1";

  @Option(names = "--cert", paramLabel = "F", description = "PEM certificate (chain)")
  Path cert;

  @Option(names = "--key", paramLabel = "F", description = "PEM private key, unencrypted")
  Path key;

  @Option(
      names = "--accept",
      paramLabel = "N",
      description = "connections to accept (default: unlimited)")
  Integer accept;

  @Option(names = "--hold", description = "keep connections open, reading, until told to stop")
  boolean hold;

  /** Refuses a bad --accept or --port before any I/O. */
  void validate() {
    if (accept != null && accept < 1) {
      throw new IllegalArgumentException("--accept must be at least 1");
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("--port must be in [0, 65535], not " + port);
    }
  }

  /**
   * @return where to listen; an unknown --bind host is a setup error
   */
  InetSocketAddress address() {
    InetSocketAddress at = new InetSocketAddress(bind, port);
    if (at.isUnresolved()) {
      throw new SetupException("unknown host: " + bind + " (--bind)");
    }
    return at;
  }

  /**
   * @param e why listening on {@code at} failed
   * @return the failure in one line: the port in use, the address not on this host, or the system's
   *     words
   */
  static SetupException cannotListen(InetSocketAddress at, Throwable e) {
    Throwable u = reactor.core.Exceptions.unwrap(e);
    String why = u.getMessage() != null ? u.getMessage() : u.getClass().getSimpleName();
    if (why.contains("Address already in use")) {
      why = "the port is in use";
    } else if (why.contains("Cannot assign requested address")) {
      why = "the address is not one of this host's";
    }
    return new SetupException("cannot listen on " + Report.hostPort(at) + ": " + why, u);
  }
}
