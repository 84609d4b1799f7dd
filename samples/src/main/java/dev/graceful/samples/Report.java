package dev.graceful.samples;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graceful.core.CloseInfo;
import dev.graceful.core.DrainStatus;
import dev.graceful.core.Initiator;
import dev.graceful.core.ShutdownException;
import dev.graceful.core.ShutdownMode;
import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownState;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * One JSON object per connection on stdout, one line each, and the summary. Thread-safe: lines
 * never interleave.
 */
final class Report {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final PrintStream out;
  private final Map<String, Integer> outcomes = new TreeMap<>();
  private final Map<String, Integer> errors = new TreeMap<>();
  private int connections;

  private final Clock clock;

  Report(PrintStream out) {
    this(out, Clock.systemUTC());
  }

  /**
   * @param clock stamps each line's {@code time} (ISO-8601, UTC)
   */
  Report(PrintStream out, Clock clock) {
    this.out = out;
    this.clock = clock;
  }

  /**
   * @return {@code host:port}, an IPv6 host in brackets, without a resolved name's address
   */
  static String hostPort(java.net.InetSocketAddress a) {
    String host = a.getHostString();
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + a.getPort();
  }

  /**
   * @param connectionId a connection's identity, {@code local->remote}
   * @return the remote side, or the whole identity when it names no addresses
   */
  static String peerOf(String connectionId) {
    int arrow = connectionId.lastIndexOf("->");
    return arrow >= 0 ? connectionId.substring(arrow + 2) : connectionId;
  }

  /**
   * What every line says about one connection.
   *
   * @param peer the peer's address, {@code host:port}
   */
  record Line(
      String peer,
      String protocol,
      ShutdownMode mode,
      ShutdownState state,
      Initiator initiator,
      long elapsedMs,
      long bytesRead,
      boolean resumed,
      ShutdownResult result,
      ShutdownException error) {}

  synchronized ObjectNode add(Line l) {
    ObjectNode o = JSON.createObjectNode();
    connections++;
    if (l.result() != null) {
      o.put("outcome", l.result().outcome().name());
      outcomes.merge(l.result().outcome().name(), 1, Integer::sum);
    } else {
      o.put("error", l.error().reason().name());
      o.put("message", l.error().getMessage());
      errors.merge(l.error().reason().name(), 1, Integer::sum);
    }
    o.put("peer", l.peer());
    o.put("time", Instant.now(clock).toString());
    ShutdownState state = l.result() != null ? l.result().state() : l.state();
    var names = o.putArray("state");
    state.names().forEach(names::add);
    o.put("initiator", l.initiator().name());
    o.put("mode", l.mode().cliName());
    o.put("elapsedMs", l.elapsedMs());
    o.put("bytesRead", l.bytesRead());
    o.put("protocol", l.protocol());
    ShutdownResult r = l.result();
    if (l.protocol().startsWith("QUIC")) {
      o.put("bytesDrained", r == null ? 0 : r.bytesDrained());
      DrainStatus d = r == null ? DrainStatus.NOT_DRAINED : r.drained();
      if (d == DrainStatus.TIMEOUT) {
        o.put("drained", "timeout");
      } else {
        o.put("drained", d == DrainStatus.DRAINED);
      }
      if (r != null && r.peerErrorCode().isPresent()) {
        o.put("peerErrorCode", r.peerErrorCode().getAsLong());
        o.put("peerReason", r.peerReason().orElse(""));
      } else {
        o.putNull("peerErrorCode");
        o.putNull("peerReason");
      }
      Optional<CloseInfo> info =
          r != null ? r.closeInfo() : l.error() != null ? l.error().closeInfo() : Optional.empty();
      if (info.isPresent()) {
        CloseInfo i = info.get();
        ObjectNode c = o.putObject("closeInfo");
        c.put("errorCode", i.errorCode());
        c.put("frameType", i.frameType());
        c.put("reason", i.reason());
        c.put("transport", i.transport());
        c.put("local", i.local());
      } else {
        o.putNull("closeInfo");
      }
    } else {
      o.put("resumed", l.resumed());
      o.put("unauthenticatedEof", r != null && r.unauthenticatedEof());
      o.put("quiet", r != null && r.quiet());
    }
    print(o);
    return o;
  }

  synchronized void summary() {
    ObjectNode root = JSON.createObjectNode();
    ObjectNode s = root.putObject("summary");
    s.put("connections", connections);
    ObjectNode oc = s.putObject("outcomes");
    outcomes.forEach(oc::put);
    ObjectNode er = s.putObject("errors");
    errors.forEach(er::put);
    print(root);
  }

  synchronized boolean anyError() {
    return !errors.isEmpty();
  }

  synchronized int connections() {
    return connections;
  }

  synchronized Map<String, Integer> outcomes() {
    return new TreeMap<>(outcomes);
  }

  synchronized Map<String, Integer> errors() {
    return new TreeMap<>(errors);
  }

  private void print(ObjectNode o) {
    try {
      out.println(JSON.writeValueAsString(o));
      out.flush();
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }
}
