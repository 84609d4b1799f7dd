package dev.graceful.quic.internal;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The only place graceful reads Kwik 0.10.9's internals, because its public API has no
 * acknowledgement signal, no closing-period end and no PTO. Looked up once at start-up by name;
 * when anything is missing (another Kwik version, or the module path, where {@code tech.kwik.core}
 * opens nothing) {@link #available()} is false and graceful falls back: no drain detection (the
 * result says {@code drained: false}), a PTO estimated from public statistics, and the closing
 * period timed by graceful alone.
 */
public final class KwikInternals {
  private static final System.Logger LOG = System.getLogger(KwikInternals.class.getName());
  private static final Probe PROBE = Probe.lookUp();

  private KwikInternals() {}

  /**
   * @return true when every internal graceful reads was found and is accessible
   */
  public static boolean available() {
    return PROBE != null;
  }

  /**
   * @return why internals are unavailable, or empty
   */
  public static Optional<String> unavailableReason() {
    return PROBE == null ? Optional.of(Probe.failure) : Optional.empty();
  }

  /**
   * @param connection a Kwik connection
   * @return its state name ({@code Connected}, {@code Closing}, {@code Draining}, {@code Closed},
   *     ...), if readable
   */
  public static Optional<String> state(Object connection) {
    if (PROBE == null) {
      return Optional.empty();
    }
    try {
      Object s = PROBE.connectionState.get(connection);
      return Optional.ofNullable(s).map(Object::toString);
    } catch (ReflectiveOperationException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /**
   * @return the sender's current probe timeout in ms, if readable
   */
  public static OptionalInt pto(Object connection) {
    if (PROBE == null) {
      return OptionalInt.empty();
    }
    try {
      Object sender = PROBE.getSender.invoke(connection);
      return OptionalInt.of((int) PROBE.getPto.invoke(sender));
    } catch (ReflectiveOperationException | RuntimeException e) {
      return OptionalInt.empty();
    }
  }

  /**
   * @return bytes of ack-eliciting packets sent and not yet acknowledged or lost, if readable
   */
  public static OptionalLong bytesInFlight(Object connection) {
    if (PROBE == null) {
      return OptionalLong.empty();
    }
    try {
      Object sender = PROBE.getSender.invoke(connection);
      Object cc = PROBE.getCongestionController.invoke(sender);
      return OptionalLong.of((long) PROBE.getBytesInFlight.invoke(cc));
    } catch (ReflectiveOperationException | RuntimeException e) {
      return OptionalLong.empty();
    }
  }

  /**
   * Evaluates {@code condition} between two looks at Kwik's sender, and holds it true only when the
   * sender's thread was idle (waiting for work) at both and sent no packet from the first to the
   * last. Kwik's sender takes a stream's data into a frame, sends the packet, counts it, and only
   * then adds it to the bytes in flight: a look at the streams and at the bytes in flight in that
   * window sees every byte sent and nothing in flight, though nothing was acknowledged. The looks
   * are ordered so that such a window cannot pass: packets counted, thread state, the condition,
   * thread state, packets counted. Where the sender cannot be read, the condition alone decides.
   *
   * @param connection a Kwik connection
   * @param condition what must hold, e.g. every stream sent and nothing in flight
   * @return true when it held while the sender was idle
   */
  public static boolean holdsWhileSenderIdle(
      Object connection, java.util.function.BooleanSupplier condition) {
    Object sender = null;
    if (PROBE != null && PROBE.senderThread != null && PROBE.packetsSent != null) {
      try {
        sender = PROBE.getSender.invoke(connection);
      } catch (ReflectiveOperationException | RuntimeException e) {
        sender = null;
      }
    }
    if (sender == null) {
      return condition.getAsBoolean();
    }
    try {
      Thread thread = (Thread) PROBE.senderThread.get(sender);
      long before = PROBE.packetsSent.getLong(sender);
      boolean idleBefore = idle(thread);
      boolean held = condition.getAsBoolean();
      boolean idleAfter = idle(thread);
      long after = PROBE.packetsSent.getLong(sender);
      return held && idleBefore && idleAfter && before == after;
    } catch (ReflectiveOperationException | RuntimeException e) {
      return condition.getAsBoolean();
    }
  }

  /** Kwik's sender waits on its condition between rounds, and only there; a stopped one is idle. */
  private static boolean idle(Thread sender) {
    Thread.State s = sender.getState();
    return s == Thread.State.WAITING
        || s == Thread.State.TIMED_WAITING
        || s == Thread.State.TERMINATED;
  }

  /**
   * What the sender still has to do for one stream.
   *
   * @param unsent the send buffer holds data (or the FIN) not yet put in a frame
   * @param lostPending frames declared lost wait for retransmission
   * @param offset the next offset to send
   * @param queuedRequests send requests the stream believes are queued with the sender
   */
  public record StreamProgress(
      boolean unsent, boolean lostPending, long offset, int queuedRequests) {
    /**
     * @return true when nothing of this stream waits to be sent
     */
    public boolean allSent() {
      return !unsent && !lostPending;
    }
  }

  /**
   * @return the stream's send progress, if readable
   */
  public static Optional<StreamProgress> progress(Object stream) {
    if (PROBE == null) {
      return Optional.empty();
    }
    try {
      Object out = PROBE.outputStream.get(stream);
      if (out != null && !PROBE.sendBuffer.getDeclaringClass().isInstance(out)) {
        // a stream only the peer sends on: Kwik gives it an output stream that sends nothing
        return Optional.of(new StreamProgress(false, false, 0, 0));
      }
      Object sendBuffer = PROBE.sendBuffer.get(out);
      Object retransmit = PROBE.retransmitBuffer.get(out);
      return Optional.of(
          new StreamProgress(
              !(boolean) PROBE.sendBufferIsEmpty.invoke(sendBuffer),
              (boolean) PROBE.hasDataToRetransmit.invoke(retransmit),
              (long) PROBE.currentOffset.get(out),
              ((AtomicInteger) PROBE.sendRequestsQueued.get(out)).get()));
    } catch (ReflectiveOperationException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /**
   * Every stream Kwik holds open on a connection, whoever opened it and however: through graceful,
   * through the Kwik connection directly, or the peer. Kwik forgets a stream once both its
   * directions are over.
   *
   * @param connection a Kwik connection
   * @return its open streams, in no particular order; empty when unreadable
   */
  public static Optional<java.util.List<Object>> streams(Object connection) {
    if (PROBE == null
        || PROBE.getStreamManager == null
        || !PROBE.getStreamManager.getDeclaringClass().isInstance(connection)) {
      return Optional.empty();
    }
    try {
      Object manager = PROBE.getStreamManager.invoke(connection);
      java.util.Map<?, ?> open = (java.util.Map<?, ?>) PROBE.managedStreams.get(manager);
      return Optional.of(java.util.List.copyOf(open.values()));
    } catch (ReflectiveOperationException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /**
   * @param stream a Kwik stream
   * @return true when its sending side was never given anything: a stream only the peer sends on,
   *     or one with no data written and no FIN queued; false as well when unreadable
   */
  public static boolean sendsNothing(Object stream) {
    if (PROBE == null || PROBE.outputClosed == null) {
      return false;
    }
    try {
      Object out = PROBE.outputStream.get(stream);
      if (out != null && !PROBE.sendBuffer.getDeclaringClass().isInstance(out)) {
        return true; // a stream only the peer sends on
      }
      return (long) PROBE.currentOffset.get(out) == 0
          && !(boolean) PROBE.outputClosed.get(out)
          && (boolean) PROBE.sendBufferIsEmpty.invoke(PROBE.sendBuffer.get(out));
    } catch (ReflectiveOperationException | RuntimeException e) {
      return false;
    }
  }

  /**
   * @param stream a Kwik stream
   * @return true when its sending side was reset (RESET_STREAM), through graceful or Kwik directly;
   *     false as well when unreadable
   */
  public static boolean outputReset(Object stream) {
    if (PROBE == null || PROBE.outputReset == null) {
      return false;
    }
    try {
      Object out = PROBE.outputStream.get(stream);
      return PROBE.outputReset.getDeclaringClass().isInstance(out)
          && (boolean) PROBE.outputReset.get(out);
    } catch (ReflectiveOperationException | RuntimeException e) {
      return false;
    }
  }

  /**
   * Recovers a stream from Kwik's lost wakeup (0.10.7+): {@code scheduleSendStreamFrameRequest}
   * increments its counter after handing the request to the sender, so a sender that runs the
   * request first counts down to -1, sees a non-zero count when it wants to queue the next request,
   * and queues nothing; the stream stops with data (or its FIN) unsent. This resets a counter that
   * is not positive and queues a request. A superfluous request is harmless ("not a problem when
   * one superfluous send request is queued", Kwik's own comment).
   *
   * @param stream a stream with unsent data and no progress
   * @param force reset the counter even when it claims requests are queued (none progressed)
   * @return true if a request was queued
   */
  public static boolean kick(Object stream, boolean force) {
    if (PROBE == null) {
      return false;
    }
    try {
      Object out = PROBE.outputStream.get(stream);
      AtomicInteger queued = (AtomicInteger) PROBE.sendRequestsQueued.get(out);
      int q = queued.get();
      if ((q > 0 && !force) || !queued.compareAndSet(q, 0)) {
        return false;
      }
      PROBE.scheduleSendStreamFrameRequest.invoke(out, true);
      return true;
    } catch (ReflectiveOperationException | RuntimeException e) {
      return false;
    }
  }

  /**
   * Sends one PING (ack-eliciting) in its own packet, flushed. A receiver acknowledges every second
   * ack-eliciting packet at once and delays the acknowledgement of an odd one by up to
   * max_ack_delay (Kwik: 20 ms); after the last data packet, a PING makes the count even, so the
   * acknowledgement comes at once.
   *
   * @param connection a Kwik connection
   * @return true if the PING was queued
   */
  public static boolean elicitAck(Object connection) {
    if (PROBE == null) {
      return false;
    }
    try {
      PROBE.send.invoke(
          connection,
          PROBE.ping.getDeclaredConstructor().newInstance(),
          (java.util.function.Consumer<?>) f -> {},
          true);
      return true;
    } catch (ReflectiveOperationException | RuntimeException e) {
      return false;
    }
  }

  /**
   * The thread on which a Kwik client processes what its peer sends ({@code receiver-loop}).
   * Anything thrown there that is not an {@code Exception} ends it without closing the connection,
   * which then hears nothing more: no acknowledgement, no CONNECTION_CLOSE. (Kwik 0.10.9 run with
   * {@code -ea} does this on loopback: {@code LossDetector.detectLostPackets} asserts a loss delay
   * above 0 ms, and a 0 ms RTT makes it 0.)
   *
   * @param connection a Kwik connection, established
   * @return its receive thread when it is a client connection; empty for a server-side one (see
   *     {@link #serverReceiveThread}) or without internals
   */
  public static Optional<Thread> clientReceiveThread(Object connection) {
    if (PROBE == null
        || PROBE.clientReceiverThread == null
        || !PROBE.clientReceiverThread.getDeclaringClass().isInstance(connection)) {
      return Optional.empty();
    }
    try {
      return Optional.ofNullable((Thread) PROBE.clientReceiverThread.get(connection));
    } catch (ReflectiveOperationException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /**
   * The thread on which a server-side connection processes what its peer sends. Kwik 0.10.9 gives
   * each server-side connection one of its own ({@code ServerConnectionThread}, named {@code
   * receiver-} and the connection id) and starts the connection's application protocol on it, so a
   * connector's application-protocol callback runs on that very thread. Taking it from there is
   * free; the connector's registry knows it too, but only a search of every connection finds it.
   * Ended while the connection is open, it leaves the connection deaf as a client's {@link
   * #clientReceiveThread} does.
   *
   * @param callbackThread the thread running the connector's application-protocol callback
   * @return that thread, when it is named as Kwik names a connection's receive thread
   */
  public static Optional<Thread> serverReceiveThread(Thread callbackThread) {
    return PROBE != null && callbackThread.getName().startsWith("receiver-")
        ? Optional.of(callbackThread)
        : Optional.empty();
  }

  /**
   * Starts, ahead of a close, the two threads Kwik 0.10.9 would otherwise start within its {@code
   * close()}: the connection's scheduler, which times the closing period, and its callback
   * executor, which hands graceful's listener the termination event (and the application its peer's
   * streams). Each is a one-thread pool that creates its thread for its first task, so a {@code
   * close()} paid for both thread starts on its caller's thread before flushing its
   * CONNECTION_CLOSE. Kwik shuts both pools down when the connection terminates (closing or
   * draining period over, idle timeout, failed handshake), as it did when the close started them.
   *
   * <p>Does nothing when internals are unreadable or {@code connection} is not Kwik's.
   *
   * @param connection a Kwik connection
   */
  public static void startCloseThreads(Object connection) {
    if (PROBE == null
        || PROBE.closeThreadPools.isEmpty()
        || !PROBE.closeThreadPools.get(0).getDeclaringClass().isInstance(connection)) {
      return;
    }
    for (Field pool : PROBE.closeThreadPools) {
      try {
        Object p = pool.get(connection);
        if (p instanceof java.util.concurrent.ThreadPoolExecutor e) {
          e.prestartCoreThread(); // the scheduler: no task needed
        } else if (p instanceof java.util.concurrent.Executor e) {
          // the callback executor, a single-thread executor behind Executors' wrapper: its thread
          // starts for a first task, and a no-op is one its users cannot observe
          e.execute(() -> {});
        }
      } catch (ReflectiveOperationException | RuntimeException e) {
        // shut down already (the connection is over), or unreadable: a close starts what it needs
        LOG.log(System.Logger.Level.DEBUG, "Kwik's " + pool.getName() + " not started ahead: " + e);
      }
    }
  }

  /**
   * Whether {@link #acceptAnyHostname} can work: Kwik 0.10.9's client TLS engine is reachable (the
   * class path; on the module path {@code tech.kwik.core} opens nothing).
   *
   * @return true when a client connection's host name verifier can be replaced
   */
  public static boolean canReplaceHostnameVerifier() {
    return ClientTls.GET_TLS_ENGINE != null;
  }

  /**
   * Turns off the host name check of Kwik's TLS engine (agent15's {@code DefaultHostnameVerifier}),
   * for a client whose trust manager checks the host name itself. That verifier compares the name
   * with the certificate's DNS names and its subject's common name only, so it refuses a server
   * reached by IP address whose certificate names that address (RFC 6125 §6.2.1 and RFC 2818 §3.1:
   * "the iPAddress subjectAltName must be present in the certificate and must exactly match the IP
   * in the URI").
   *
   * @param clientConnection a Kwik client connection, built and not yet connected
   * @return true if replaced; false when internals are unreachable (Kwik's check stays)
   */
  public static boolean acceptAnyHostname(Object clientConnection) {
    if (ClientTls.GET_TLS_ENGINE == null
        || !ClientTls.GET_TLS_ENGINE.getDeclaringClass().isInstance(clientConnection)) {
      return false;
    }
    try {
      Object engine = ClientTls.GET_TLS_ENGINE.invoke(clientConnection);
      Class<?> verifier = ClientTls.SET_HOSTNAME_VERIFIER.getParameterTypes()[0];
      Object anyName =
          java.lang.reflect.Proxy.newProxyInstance(
              verifier.getClassLoader(),
              new Class<?>[] {verifier},
              (proxy, method, args) ->
                  switch (method.getName()) {
                    case "verify" -> Boolean.TRUE;
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "equals" -> proxy == args[0];
                    default -> "graceful: host name checked by the trust manager";
                  });
      ClientTls.SET_HOSTNAME_VERIFIER.invoke(engine, anyName);
      return true;
    } catch (ReflectiveOperationException | RuntimeException e) {
      LOG.log(System.Logger.Level.DEBUG, "Kwik's host name verifier not replaced: " + e);
      return false;
    }
  }

  /**
   * @param connection a server-side Kwik connection
   * @return the address its client's first packet came from ({@code
   *     ServerConnectionImpl.getInitialRemoteAddress()}), if readable
   */
  public static Optional<java.net.InetSocketAddress> initialRemoteAddress(Object connection) {
    try {
      Method m = connection.getClass().getMethod("getInitialRemoteAddress");
      return Optional.ofNullable((java.net.InetSocketAddress) m.invoke(connection));
    } catch (ReflectiveOperationException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /**
   * The reason phrase of a termination as Kwik received or sent it: its report keeps it in a field
   * of its own and shows it only within a description, which for a close without error code or with
   * a TLS alert leaves it out.
   *
   * @param event Kwik's report of a connection's end
   * @return the reason, possibly empty; empty as well when unreadable (then parse the description)
   */
  public static Optional<String> terminationReason(Object event) {
    if (Reason.FIELD == null || !Reason.FIELD.getDeclaringClass().isInstance(event)) {
      return Optional.empty();
    }
    try {
      Object r = Reason.FIELD.get(event);
      return Optional.of(r == null ? "" : r.toString());
    } catch (ReflectiveOperationException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /** The reason field of Kwik's termination report, looked up apart from {@link Probe}. */
  private static final class Reason {
    static final Field FIELD;

    static {
      Field f = null;
      try {
        f =
            Probe.open(
                Class.forName("tech.kwik.core.ConnectionTerminatedEvent")
                    .getDeclaredField("errorDescription"));
      } catch (ReflectiveOperationException | RuntimeException e) {
        LOG.log(System.Logger.Level.DEBUG, "Kwik's termination reason unreadable: " + e);
      }
      FIELD = f;
    }
  }

  /** Kwik's client TLS engine, looked up apart from {@link Probe}: its absence only limits S1. */
  private static final class ClientTls {
    static final Method GET_TLS_ENGINE;
    static final Method SET_HOSTNAME_VERIFIER;

    static {
      Method get = null;
      Method set = null;
      try {
        Method g =
            Class.forName("tech.kwik.core.impl.QuicClientConnectionImpl")
                .getDeclaredMethod("getTlsEngine");
        g.setAccessible(true);
        Class<?> engine = Class.forName("tech.kwik.agent15.engine.TlsClientEngine");
        Method s =
            engine.getMethod(
                "setHostnameVerifier", Class.forName("tech.kwik.agent15.engine.HostnameVerifier"));
        if (engine.isAssignableFrom(g.getReturnType())) {
          get = g;
          set = s;
        }
      } catch (ReflectiveOperationException | RuntimeException e) {
        LOG.log(System.Logger.Level.DEBUG, "Kwik's client TLS engine unreachable: " + e);
      }
      GET_TLS_ENGINE = get;
      SET_HOSTNAME_VERIFIER = set;
    }
  }

  /** The looked-up members; null when any is missing. */
  private static final class Probe {
    static String failure = "";
    Field connectionState;
    Method getSender;
    Method getPto;
    Method getCongestionController;
    Method getBytesInFlight;
    Field senderThread; // optional, with packetsSent: null leaves holdsWhileSenderIdle to the
    Field packetsSent; // condition alone
    Field outputStream;
    Field sendBuffer;
    Field retransmitBuffer;
    Method sendBufferIsEmpty;
    Method hasDataToRetransmit;
    Field currentOffset;
    Field sendRequestsQueued;
    Method scheduleSendStreamFrameRequest;
    Method send;
    Class<?> ping;
    Field clientReceiverThread; // optional: null leaves clientReceiveThread() empty
    Method getStreamManager; // optional: null leaves streams() empty
    Field managedStreams;
    Field outputReset; // optional: null makes outputReset() false
    Field outputClosed; // optional: null makes sendsNothing() false
    // optional: the connection's scheduler and callback pools (startCloseThreads); empty when
    // unreadable
    java.util.List<Field> closeThreadPools = java.util.List.of();

    static Probe lookUp() {
      try {
        Probe p = new Probe();
        Class<?> conn = Class.forName("tech.kwik.core.impl.QuicConnectionImpl");
        p.connectionState = open(conn.getDeclaredField("connectionState"));
        p.getSender = open(conn.getDeclaredMethod("getSender"));
        Class<?> frame = Class.forName("tech.kwik.core.frame.QuicFrame");
        p.send =
            open(
                conn.getDeclaredMethod(
                    "send", frame, java.util.function.Consumer.class, boolean.class));
        p.ping = Class.forName("tech.kwik.core.frame.PingFrame");
        open(p.ping.getDeclaredConstructor());
        Class<?> sender = Class.forName("tech.kwik.core.send.SenderImpl");
        p.getPto = open(sender.getDeclaredMethod("getPto"));
        p.getCongestionController = open(sender.getDeclaredMethod("getCongestionController"));
        p.getBytesInFlight =
            open(
                Class.forName("tech.kwik.core.cc.CongestionController")
                    .getDeclaredMethod("getBytesInFlight"));
        p.outputStream =
            open(
                Class.forName("tech.kwik.core.stream.QuicStreamImpl")
                    .getDeclaredField("outputStream"));
        Class<?> out = Class.forName("tech.kwik.core.stream.StreamOutputStreamImpl");
        p.sendBuffer = open(out.getDeclaredField("sendBuffer"));
        p.retransmitBuffer = open(out.getDeclaredField("retransmitBuffer"));
        p.currentOffset = open(out.getDeclaredField("currentOffset"));
        p.sendRequestsQueued = open(out.getDeclaredField("sendRequestsQueued"));
        p.scheduleSendStreamFrameRequest =
            open(out.getDeclaredMethod("scheduleSendStreamFrameRequest", boolean.class));
        p.sendBufferIsEmpty =
            open(Class.forName("tech.kwik.core.stream.SendBuffer").getDeclaredMethod("isEmpty"));
        p.hasDataToRetransmit =
            open(
                Class.forName("tech.kwik.core.stream.RetransmitBuffer")
                    .getDeclaredMethod("hasDataToRetransmit"));
        try {
          Method m = open(conn.getDeclaredMethod("getStreamManager"));
          p.managedStreams =
              open(
                  Class.forName("tech.kwik.core.stream.StreamManager").getDeclaredField("streams"));
          p.getStreamManager = m;
        } catch (ReflectiveOperationException | RuntimeException e) {
          LOG.log(System.Logger.Level.DEBUG, "Kwik's stream manager unreadable: " + e);
        }
        try {
          Field thread = open(sender.getDeclaredField("senderThread"));
          Field packets = open(sender.getDeclaredField("packetsSent"));
          if (thread.getType() == Thread.class && packets.getType() == long.class) {
            p.senderThread = thread;
            p.packetsSent = packets;
          }
        } catch (ReflectiveOperationException | RuntimeException e) {
          LOG.log(System.Logger.Level.DEBUG, "Kwik's sender thread unreadable: " + e);
        }
        try {
          p.outputReset = open(out.getDeclaredField("reset"));
        } catch (ReflectiveOperationException | RuntimeException e) {
          LOG.log(System.Logger.Level.DEBUG, "Kwik's stream reset flag unreadable: " + e);
        }
        try {
          p.outputClosed = open(out.getDeclaredField("closed"));
        } catch (ReflectiveOperationException | RuntimeException e) {
          LOG.log(System.Logger.Level.DEBUG, "Kwik's stream closed flag unreadable: " + e);
        }
        try {
          p.clientReceiverThread =
              open(
                  Class.forName("tech.kwik.core.impl.QuicClientConnectionImpl")
                      .getDeclaredField("receiverThread"));
        } catch (ReflectiveOperationException | RuntimeException e) {
          LOG.log(System.Logger.Level.DEBUG, "Kwik's client receive thread unreadable: " + e);
        }
        try {
          p.closeThreadPools =
              java.util.List.of(
                  open(conn.getDeclaredField("scheduler")),
                  open(conn.getDeclaredField("callbackThread")));
        } catch (ReflectiveOperationException | RuntimeException e) {
          LOG.log(
              System.Logger.Level.DEBUG, "Kwik's scheduler and callback pools unreadable: " + e);
        }
        return p;
      } catch (ReflectiveOperationException | RuntimeException e) {
        failure = e.toString();
        LOG.log(
            System.Logger.Level.WARNING, "Kwik internals unavailable, drain detection off: " + e);
        return null;
      }
    }

    private static <T extends java.lang.reflect.AccessibleObject> T open(T member) {
      member.setAccessible(true); // InaccessibleObjectException on the module path: caught above
      return member;
    }
  }
}
