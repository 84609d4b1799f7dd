package dev.graceful.samples;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graceful.core.Initiator;
import dev.graceful.core.ShutdownException;
import dev.graceful.core.ShutdownResult;
import java.util.Locale;

/**
 * What {@code probe} saw the server do in one scenario: one row of its table and one object of its
 * JSON line. A {@code null} flag means the question does not apply to the scenario (or the scenario
 * could not run).
 *
 * @param scenario the scenario's name, e.g. {@code close-first}
 * @param version the version asked for: {@code 1.2}, {@code 1.3} or {@code quic}
 * @param protocol the negotiated protocol, e.g. {@code TLSv1.3}; {@code none} if it did not connect
 * @param closeNotify the server's close_notify arrived
 * @param serverClosedFirst the server ended the connection before we did
 * @param truncated the connection ended with a transport EOF and no close_notify
 * @param timedOut the deadline passed with nothing from the server
 * @param resumed the reconnection resumed the session (resumption scenarios)
 * @param peerErrorCode the code of the server's CONNECTION_CLOSE (QUIC)
 * @param peerReason the reason of the server's CONNECTION_CLOSE (QUIC)
 * @param bytesRead application bytes read from the server
 * @param elapsedMs from the scenario's step that waits on the server to its end
 * @param verdict what the server did, in words
 * @param error why the scenario could not run, or null
 */
record ProbeRow(
    String scenario,
    String version,
    String protocol,
    Boolean closeNotify,
    Boolean serverClosedFirst,
    Boolean truncated,
    boolean timedOut,
    Boolean resumed,
    Long peerErrorCode,
    String peerReason,
    long bytesRead,
    long elapsedMs,
    String verdict,
    String error) {

  /**
   * A scenario that could not run: the connection (or its handshake) failed.
   *
   * @param t the failure
   */
  static ProbeRow failed(String scenario, String version, Throwable t) {
    String message = shortMessage(TlsClientCommand.asShutdownError(t, scenario));
    return new ProbeRow(
        scenario,
        version,
        "none",
        null,
        null,
        null,
        false,
        null,
        null,
        null,
        0,
        0,
        "could not run: " + message,
        message);
  }

  /**
   * How a TLS shutdown ended, as a row.
   *
   * @param r the result, or null if {@code e} ended it
   * @param e the error, or null
   */
  static ProbeRow tls(
      String scenario,
      String version,
      String protocol,
      ShutdownResult r,
      ShutdownException e,
      long bytesRead,
      long elapsedMs) {
    if (r != null) {
      boolean notify = r.state().received() && !r.unauthenticatedEof();
      boolean first = r.initiator() == Initiator.PEER;
      String verdict;
      if (r.deadlineReached() || (!r.state().received() && !r.quiet())) {
        verdict = "no close_notify by the deadline";
      } else if (first) {
        verdict = "closed first with close_notify";
      } else {
        verdict = "answered close_notify";
      }
      return new ProbeRow(
          scenario,
          version,
          protocol,
          notify,
          first,
          false,
          r.deadlineReached(),
          null,
          null,
          null,
          bytesRead,
          elapsedMs,
          verdict,
          null);
    }
    boolean weSent = e.state().sent();
    return switch (e.reason()) {
      case TRUNCATED ->
          new ProbeRow(
              scenario,
              version,
              protocol,
              false,
              !weSent,
              true,
              false,
              null,
              null,
              null,
              bytesRead,
              elapsedMs,
              weSent
                  ? "closed TCP without answering (truncated)"
                  : "closed first without close_notify (truncated)",
              null);
      case TIMEOUT ->
          new ProbeRow(
              scenario,
              version,
              protocol,
              false,
              false,
              false,
              true,
              null,
              null,
              null,
              bytesRead,
              elapsedMs,
              "nothing by the deadline",
              null);
      default ->
          new ProbeRow(
              scenario,
              version,
              protocol,
              false,
              !weSent,
              false,
              false,
              null,
              null,
              null,
              bytesRead,
              elapsedMs,
              e.reason().name().toLowerCase(Locale.ROOT) + ": " + shortMessage(e),
              null);
    };
  }

  /**
   * @return the JDK's or the transport's words, without the exception's prefix of identities
   */
  private static String shortMessage(ShutdownException e) {
    String m = e.getMessage();
    int colon = m.indexOf("]: ");
    return colon >= 0 ? m.substring(colon + 3) : m;
  }

  /**
   * @return this row with {@code resumed} set and the verdict saying so
   */
  ProbeRow resumption(boolean didResume) {
    String words = didResume ? "resumed" : "not resumed";
    return new ProbeRow(
        scenario,
        version,
        protocol,
        closeNotify,
        serverClosedFirst,
        truncated,
        timedOut,
        didResume,
        peerErrorCode,
        peerReason,
        bytesRead,
        elapsedMs,
        words + " (first connection: " + verdict + ")",
        error);
  }

  /**
   * @return this row as a JSON object
   */
  ObjectNode json() {
    ObjectNode o = JsonNodeFactory.instance.objectNode();
    o.put("scenario", scenario);
    o.put("version", version);
    o.put("protocol", protocol);
    o.put("closeNotify", closeNotify);
    o.put("serverClosedFirst", serverClosedFirst);
    o.put("truncated", truncated);
    o.put("timedOut", timedOut);
    o.put("resumed", resumed);
    o.put("peerErrorCode", peerErrorCode);
    o.put("peerReason", peerReason);
    o.put("bytesRead", bytesRead);
    o.put("elapsedMs", elapsedMs);
    o.put("verdict", verdict);
    if (error != null) {
      o.put("error", error);
    }
    return o;
  }

  /** The table's header line. */
  static String header() {
    return String.format(
        "%-20s %-8s %-12s %-12s %-12s %-9s %8s  %s",
        "scenario",
        "version",
        "protocol",
        "close_notify",
        "closed first",
        "truncated",
        "ms",
        "server did");
  }

  /**
   * @return this row as a line of the table
   */
  String line() {
    return String.format(
        "%-20s %-8s %-12s %-12s %-12s %-9s %8d  %s",
        scenario,
        version,
        protocol,
        yesNo(closeNotify),
        yesNo(serverClosedFirst),
        yesNo(truncated),
        elapsedMs,
        verdict);
  }

  private static String yesNo(Boolean b) {
    return b == null ? "-" : b ? "yes" : "no";
  }
}
