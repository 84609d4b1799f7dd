package dev.graceful.quic.internal;

import dev.graceful.quic.internal.KwikEngine.TrackedStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import tech.kwik.core.QuicConnection;

/**
 * The streams of one connection a drain covers, and what Kwik says of the data written to them:
 * what is still to send, and whether everything sent was acknowledged. Those graceful handed out
 * are tracked from the start; the others Kwik holds (opened on the Kwik connection directly, or by
 * the peer and not adopted) are found in Kwik's internals at each look, and count as reset when
 * Kwik says their sending side was. Without internals only the tracked ones are seen. Loop thread.
 */
final class TrackedStreams {
  private final QuicConnection connection;
  private final List<TrackedStream> streams = new ArrayList<>();
  private final List<TrackedStream> view = Collections.unmodifiableList(streams);

  /**
   * @param connection the Kwik connection the streams belong to
   */
  TrackedStreams(QuicConnection connection) {
    this.connection = connection;
  }

  /**
   * @param stream a stream handed out by graceful; one this side cannot send on (a unidirectional
   *     stream the peer opened) has nothing to drain and is not tracked, since Kwik keeps no send
   *     progress for it and a drain would wait for it until its deadline
   */
  void track(TrackedStream stream) {
    if (!receiveOnly(stream.kwikStream())) {
      streams.add(stream);
    }
  }

  /** RFC 9000 §2.1: bit 0x1 of a stream id is its initiator (1: server), bit 0x2 unidirectional. */
  private boolean receiveOnly(Object kwikStream) {
    if (!(kwikStream instanceof tech.kwik.core.QuicStream s) || !s.isUnidirectional()) {
      return false;
    }
    boolean serverInitiated = (s.getStreamId() & 0x1) != 0;
    boolean weAreServer = !(connection instanceof tech.kwik.core.QuicClientConnection);
    return serverInitiated != weAreServer;
  }

  // Kwik's streams graceful did not hand out, each seen as one stable TrackedStream
  private final Map<Object, TrackedStream> untracked = new IdentityHashMap<>();

  /**
   * @return every tracked stream, reset ones included, in the order they were tracked, then every
   *     other stream Kwik holds open
   */
  List<TrackedStream> all() {
    Optional<List<Object>> open = KwikInternals.streams(connection);
    if (open.isEmpty() || (open.get().isEmpty() && untracked.isEmpty())) {
      return view;
    }
    Map<Object, Boolean> ours = new IdentityHashMap<>();
    for (TrackedStream s : streams) {
      ours.put(s.kwikStream(), Boolean.TRUE);
    }
    List<TrackedStream> every = new ArrayList<>(streams);
    Map<Object, TrackedStream> seen = new IdentityHashMap<>();
    for (Object k : open.get()) {
      if (!ours.containsKey(k)) {
        TrackedStream t = untracked.computeIfAbsent(k, Untracked::new);
        seen.put(k, t);
        every.add(t);
      }
    }
    untracked.keySet().retainAll(seen.keySet());
    return every;
  }

  /** A stream Kwik holds that graceful did not hand out: no writes of ours, reset as Kwik says. */
  private record Untracked(Object kwikStream) implements TrackedStream {
    @Override
    public boolean isReset() {
      return KwikInternals.outputReset(kwikStream);
    }

    @Override
    public int writesInFlight() {
      return 0;
    }
  }

  /**
   * @return true when a tracked, non-reset stream has a write pending or data (or FIN) unsent
   */
  boolean anySending() {
    for (TrackedStream s : streams) {
      if (!s.isReset() && s.writesInFlight() > 0) {
        return true;
      }
    }
    return anyUnsent();
  }

  /**
   * @return true when a write on a tracked stream failed without the stream being reset
   */
  boolean anyWriteFailed() {
    for (TrackedStream s : all()) {
      if (!s.isReset() && s.writeFailed()) {
        return true;
      }
    }
    return false;
  }

  /**
   * @return true when a tracked, non-reset stream still has data (or its FIN) to send
   */
  boolean anyUnsent() {
    for (TrackedStream s : all()) {
      if (!s.isReset()
          && KwikInternals.progress(s.kwikStream())
              .map(KwikInternals.StreamProgress::unsent)
              .orElse(false)) {
        return true;
      }
    }
    return false;
  }

  /**
   * @return true when every tracked stream that is neither reset nor acknowledged by the
   *     application has no write pending and nothing left to send
   */
  boolean everythingSent() {
    for (TrackedStream s : all()) {
      if (s.isReset() || s.applicationAckExpected()) {
        continue;
      }
      if (s.writesInFlight() > 0) {
        return false;
      }
      Optional<KwikInternals.StreamProgress> p = KwikInternals.progress(s.kwikStream());
      if (p.isEmpty() || !p.get().allSent()) {
        return false;
      }
    }
    return true;
  }

  /**
   * Every non-reset stream that was given something to send expects the application's
   * acknowledgement: every tracked one, and every other one Kwik holds but for those this side
   * never sent on (a stream only the peer sends on, such as an HTTP/3 control stream, or one no
   * data and no FIN was written to), which have nothing to acknowledge.
   */
  boolean everyStreamAckedByApplication() {
    for (TrackedStream s : all()) {
      if (s.isReset()
          || s.applicationAckExpected()
          || (s instanceof Untracked && KwikInternals.sendsNothing(s.kwikStream()))) {
        continue;
      }
      return false;
    }
    return true;
  }

  /**
   * Every tracked, non-reset stream sent everything, and nothing is unacknowledged; a stream the
   * application acknowledges itself is drained when its acknowledgement arrived.
   */
  boolean drained() {
    for (TrackedStream s : streams) {
      if (!s.isReset()
          && s.applicationAckExpected()
          && (s.writesInFlight() > 0 || !s.applicationAcked())) {
        return false; // (a write not yet returned would fail under the close)
      }
    }
    if (everyStreamAckedByApplication()) {
      return everythingSent();
    }
    // Kwik's acknowledgements: nothing unsent and nothing in flight, seen while its sender was
    // idle, so that no packet was between taking a stream's data and counting it in flight
    return KwikInternals.holdsWhileSenderIdle(
        connection,
        () -> everythingSent() && KwikInternals.bytesInFlight(connection).orElse(1) == 0);
  }
}
