package dev.graceful.samples;

import picocli.CommandLine.Command;

/** {@code tls-client} over DTLS 1.2. */
@Command(
    name = "dtls-client",
    mixinStandardHelpOptions = true,
    description =
        "Connect over DTLS 1.2, send --send bytes, end the connection by --mode, print one JSON line.")
final class DtlsClientCommand extends TlsClientCommand {
  @Override
  boolean datagram() {
    return true;
  }
}
