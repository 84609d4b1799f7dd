package dev.graceful.samples;

import picocli.CommandLine.Command;

/** {@code tls-server} over DTLS 1.2, on one UDP port. */
@Command(
    name = "dtls-server",
    mixinStandardHelpOptions = true,
    description = "Accept DTLS 1.2 connections, send --send bytes on each, end each by --mode.")
final class DtlsServerCommand extends TlsServerCommand {
  @Override
  boolean datagram() {
    return true;
  }
}
