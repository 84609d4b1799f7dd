package dev.graceful.benchmarks;

import java.time.Duration;

/**
 * One of graceful's QUIC backends as the quic subcommand measures it: each method opens its own
 * client connection to the benchmark's peer, closes it one way and times that.
 */
interface QuicStack extends AutoCloseable {
  /** How long any one step may take. */
  Duration WAIT = Duration.ofSeconds(30);

  /** How long an application acknowledgement is awaited before it counts as never come. */
  Duration ACK_DEADLINE = Duration.ofSeconds(10);

  /**
   * What every stack is given.
   *
   * @param port the peer's UDP port
   * @param size bytes per drain, and after which the peer answers one byte
   * @param settleMs pause between handshake and a timed rapid or native close
   * @param verbose print every drain
   */
  record Config(int port, int size, int settleMs, boolean verbose) {}

  /**
   * One timed close.
   *
   * @param ms how long it took
   * @param collected whether the JVM collected garbage between its start and its end
   */
  record Timed(double ms, boolean collected) {}

  /** A connection opened ahead for the CPU batches, with the close to time. */
  interface Opened {
    /**
     * Closes it the way the batch measures, on this thread.
     *
     * @throws Exception if the close failed
     */
    void close() throws Exception;

    /** Frees what the close left (sockets, channels); not measured. */
    void release();
  }

  /**
   * @return the name given to --stacks
   */
  String name();

  /**
   * @return what this stack's connections are, for the output
   */
  String description();

  /**
   * @return the stack's own close, the rapid close's baseline, for the output
   */
  String nativeClose();

  /**
   * @return where the 3×PTO figure comes from, for the output
   */
  String ptoSource();

  /**
   * @return from subscription to SENT of graceful's rapid close
   * @throws Exception if it failed
   */
  Timed rapidOnce() throws Exception;

  /**
   * @return the stack's own close, called directly
   * @throws Exception if it failed
   */
  Timed nativeCloseOnce() throws Exception;

  /**
   * @return {ms from subscription to COMPLETE, 3×PTO in ms when the close began}
   * @throws Exception if it failed
   */
  double[] rfcOnce() throws Exception;

  /**
   * As {@link #rfcOnce()}, through a relay that drops everything once the connection is up.
   *
   * @return {ms from subscription to COMPLETE, 3×PTO in ms when the close began}
   * @throws Exception if it failed
   */
  double[] rfcIntoSilence() throws Exception;

  /**
   * @param hook end the drain by the peer application's one-byte acknowledgement (acknowledgedBy)
   * @return ms from the first write to the close, with graceful's drain
   * @throws Exception if it failed
   */
  double drainOnce(boolean hook) throws Exception;

  /**
   * @return ms from the first write, made on the stack's own stream without graceful, until the
   *     peer application's one-byte acknowledgement arrived; NaN if it never came
   * @throws Exception if it failed
   */
  double ackOnce() throws Exception;

  /**
   * @return acknowledgements that never came
   */
  int ackStalls();

  /**
   * Opens a connection and waits for its handshake, for a CPU batch.
   *
   * @param rapid time graceful's rapid close, else the stack's own close
   * @return the connection
   * @throws Exception if it could not be opened
   */
  Opened open(boolean rapid) throws Exception;

  /** Frees what the stack holds (event loops); not measured. */
  @Override
  void close();

  /**
   * @param kwikOptions graceful's options for Kwik connections
   * @param config what every stack is given
   * @param loops graceful's loops, for Kwik connections
   * @param name kwik or netty
   * @return the stack
   * @throws Exception if it cannot be set up here
   */
  static QuicStack of(
      String name,
      Config config,
      dev.graceful.core.LoopGroup loops,
      dev.graceful.quic.QuicOptions kwikOptions)
      throws Exception {
    return switch (name) {
      case "kwik" -> new KwikStack(config, loops, kwikOptions);
      case "netty" -> new NettyStack(config);
      default -> throw new IllegalArgumentException("no QUIC stack " + name + " (kwik, netty)");
    };
  }

  /**
   * @return collections so far, all the JVM's collectors together: a close during which this
   *     changed may have waited for a collection (a stop-the-world pause, or its threads taking the
   *     cores)
   */
  static long collections() {
    long n = 0;
    for (java.lang.management.GarbageCollectorMXBean gc :
        java.lang.management.ManagementFactory.getGarbageCollectorMXBeans()) {
      n += Math.max(0, gc.getCollectionCount());
    }
    return n;
  }

  /**
   * @param ok the condition
   * @param what the failure's message
   */
  static void check(boolean ok, String what) {
    if (!ok) {
      throw new IllegalStateException(what);
    }
  }

  /**
   * @param ms the pause; none if not positive
   * @throws InterruptedException if interrupted
   */
  static void settle(int ms) throws InterruptedException {
    if (ms > 0) {
      Thread.sleep(ms);
    }
  }
}
