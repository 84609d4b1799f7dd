package dev.graceful.netty.internal;

import dev.graceful.core.ShutdownException;
import dev.graceful.core.ShutdownException.Reason;
import io.netty.handler.ssl.NotSslRecordException;
import javax.net.ssl.SSLException;
import org.jspecify.annotations.Nullable;

/**
 * How a TLS connection failed, if it did, and whether a shutdown or a receiver heard of it: "once
 * the connection failed (bad record, alert, truncation), a shutdown is refused with ILLEGAL_STATE"
 * (T11). The first to hear of the failure gets it as it is; so do all that wait when it happens;
 * any later one gets {@code ILLEGAL_STATE}. Event loop only.
 */
final class TlsFailure {
  private final ChannelShutdownEngine engine;
  private @Nullable Reason reason;
  private String message = "";
  private @Nullable Throwable cause;
  private boolean heard;
  private boolean announcing;

  /**
   * @param engine the connection's engine, which names the errors
   */
  TlsFailure(ChannelShutdownEngine engine) {
    this.engine = engine;
  }

  /**
   * @param failure an exception the pipeline reported
   * @return the TLS layer's exception behind it, or null when it is another failure
   */
  static @Nullable Throwable ofTls(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof SSLException || t instanceof NotSslRecordException) {
        return t;
      }
    }
    return null;
  }

  /**
   * @return whether the connection failed
   */
  boolean happened() {
    return reason != null;
  }

  /**
   * @return what the failure says, empty while there is none
   */
  String message() {
    return message;
  }

  /**
   * @return the exception behind the failure, if any
   */
  @Nullable Throwable cause() {
    return cause;
  }

  /** Records the connection's failure; only the first counts. */
  void record(Reason why, String what, @Nullable Throwable exception) {
    if (reason == null) {
      reason = why;
      message = what;
      cause = exception;
    }
  }

  /**
   * Records a failure of the TLS layer as {@code PROTOCOL}, said by the peer's alert when there is
   * one.
   *
   * @param alert the peer's alert that ended the connection, or null when none was seen
   * @param exception the engine's exception, or null when it stopped without one
   * @return whether the alert counts as the peer's close: a fatal one, or one the engine failed at
   *     whose level is encrypted
   */
  boolean recordTls(@Nullable TlsAlert alert, @Nullable Throwable exception) {
    if (alert == null) {
      record(
          Reason.PROTOCOL,
          "the TLS engine failed on the peer's input: a record that does not decrypt or parse, or an alert that TLS 1.3 encrypts",
          exception);
      return false;
    }
    if (alert.isFatal() || alert.isEncrypted()) {
      record(Reason.PROTOCOL, "the peer sent " + alert, exception);
      return true;
    }
    record(Reason.PROTOCOL, "the TLS engine failed at the peer's " + alert, exception);
    return false;
  }

  /**
   * Tells the failure to every shutdown and receiver waiting now: each gets the failure itself.
   *
   * @param anyone whether any is waiting
   * @param tell tells them
   */
  void announce(boolean anyone, Runnable tell) {
    announcing = true;
    try {
      tell.run();
    } finally {
      announcing = false;
    }
    if (anyone) {
      heard = true;
    }
  }

  /**
   * @return the failure for the first to hear of it and those it is announced to, else
   *     ILLEGAL_STATE
   */
  ShutdownException error() {
    Reason why = reason;
    if (why == null) {
      throw new IllegalStateException("the connection has not failed");
    }
    if (heard && !announcing) {
      return engine.error(
          Reason.ILLEGAL_STATE,
          "a fatal error already ended this connection (" + why + ": " + message + ")",
          null);
    }
    if (!announcing) {
      heard = true;
    }
    return engine.error(why, message, cause);
  }
}
