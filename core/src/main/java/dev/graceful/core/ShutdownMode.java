package dev.graceful.core;

import java.util.Locale;

/** The shutdown behaviour a {@link ShutdownSpec} asks for. */
public enum ShutdownMode {
  /** Send our close, then wait for the peer's (SSL_shutdown until it returns 1). */
  BIDIRECTIONAL,
  /** Send our close and do not wait (the "fast shutdown" of SSL_shutdown(3)). */
  FAST,
  /** Send nothing, mark both directions closed (SSL_CTX_set_quiet_shutdown). */
  QUIET,
  /** Wait for the peer to start the shutdown, then answer it. */
  WAIT_PEER,
  /**
   * QUIC: an immediate close, then the closing period (about 3×PTO) is serviced before COMPLETE;
   * SSL_shutdown_ex without SSL_SHUTDOWN_FLAG_RAPID.
   */
  RFC,
  /** QUIC: one best-effort CONNECTION_CLOSE and SENT at once; SSL_SHUTDOWN_FLAG_RAPID. */
  RAPID;

  /**
   * @return the command-line spelling, e.g. {@code wait-peer}
   */
  public String cliName() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /**
   * @param name a command-line spelling such as {@code bidirectional} or {@code wait-peer}
   * @return the mode
   * @throws IllegalArgumentException for an unknown name
   */
  public static ShutdownMode fromCliName(String name) {
    java.util.Objects.requireNonNull(name, "name");
    for (ShutdownMode m : values()) {
      if (m.cliName().equals(name)) {
        return m;
      }
    }
    throw new IllegalArgumentException("unknown shutdown mode '" + name + "'");
  }
}
