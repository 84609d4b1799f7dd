package dev.graceful.benchmarks;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The quic subcommand's figures in the results file: each kind of timed close as its percentiles
 * and its values in the order timed (null for a value that could not be had), all in milliseconds.
 * The top-level figures are the Kwik stack's (null where it was not run); {@code stacks} has every
 * stack's, Kwik's included, measured against the same in-process Kwik peer.
 *
 * @param vm the JVM
 * @param kwikInternals whether graceful could read Kwik's internals (the PTO)
 * @param closeThreads when Kwik's close threads were started: AHEAD (on wrapping) or AT_CLOSE
 * @param settleMs the pause between handshake and a timed rapid or native close
 * @param warmup untimed connections first, per stack
 * @param rapid graceful's rapid close on Kwik, subscription to SENT
 * @param kwikClose Kwik's close(code, reason) called directly, interleaved with the above
 * @param rapidCollected rapid closes during which the JVM collected garbage
 * @param kwikCollected Kwik closes during which it did
 * @param rapidP99WithoutCollectionsMs the rapid p99 without those
 * @param kwikP99WithoutCollectionsMs the Kwik p99 without those
 * @param rfc graceful's RFC close, subscription to COMPLETE
 * @param rfcThreePto 3×PTO when each of those began
 * @param rfcOverThreePto each RFC close's duration less its 3×PTO
 * @param silentThreePto 3×PTO of each RFC close whose peer fell silent after the handshake
 * @param silentOverThreePto each of those closes' duration less its 3×PTO
 * @param drainBytes bytes per drain
 * @param drain graceful's drain, first write to CONNECTION_CLOSE
 * @param applicationAck the peer application's one-byte acknowledgement after the same bytes (null:
 *     it never came)
 * @param drainAcknowledgedBy graceful's drain ended by the acknowledgedBy hook
 * @param applicationAckStalls acknowledgements that never came
 * @param applicationAckAttempts acknowledgements awaited, warm-up included
 * @param drainOverApplicationAck median drain over median acknowledgement
 * @param stacks every stack measured, in the order given
 * @param firstCloseRuns --first-close's N: fresh JVMs per stack for graceful's close, and as many
 *     for the stack's own (0: not run)
 * @param firstCloseTargetMs the target for a fresh JVM's first rapid close
 * @param rapidP99TargetMs the target for a steady-state rapid close's p99
 * @param rfcOverThreePtoTargetMs the most an RFC close may take past 3×PTO
 */
public record QuicResults(
    String vm,
    boolean kwikInternals,
    String closeThreads,
    int settleMs,
    int warmup,
    Sample rapid,
    Sample kwikClose,
    Integer rapidCollected,
    Integer kwikCollected,
    Double rapidP99WithoutCollectionsMs,
    Double kwikP99WithoutCollectionsMs,
    Sample rfc,
    Sample rfcThreePto,
    Sample rfcOverThreePto,
    Sample silentThreePto,
    Sample silentOverThreePto,
    int drainBytes,
    Sample drain,
    Sample applicationAck,
    Sample drainAcknowledgedBy,
    Integer applicationAckStalls,
    Integer applicationAckAttempts,
    Double drainOverApplicationAck,
    java.util.List<Stack> stacks,
    int firstCloseRuns,
    double firstCloseTargetMs,
    double rapidP99TargetMs,
    double rfcOverThreePtoTargetMs) {

  /**
   * @param stacks every stack measured
   * @param vm the JVM
   * @param kwikInternals whether graceful could read Kwik's internals
   * @param closeThreads AHEAD or AT_CLOSE
   * @param settleMs the pause between handshake and close
   * @param warmup untimed connections first
   * @param drainBytes bytes per drain
   * @param firstCloseRuns fresh JVMs per stack for each kind of first close
   * @return the results, the top-level figures taken from the Kwik stack
   */
  static QuicResults of(
      java.util.List<Stack> stacks,
      String vm,
      boolean kwikInternals,
      String closeThreads,
      int settleMs,
      int warmup,
      int drainBytes,
      int firstCloseRuns) {
    Stack k = stacks.stream().filter(s -> s.stack().equals("kwik")).findFirst().orElse(null);
    return new QuicResults(
        vm,
        kwikInternals,
        closeThreads,
        settleMs,
        warmup,
        k == null ? null : k.rapid(),
        k == null ? null : k.nativeClose(),
        k == null ? null : k.rapidCollected(),
        k == null ? null : k.nativeCollected(),
        k == null ? null : k.rapidP99WithoutCollectionsMs(),
        k == null ? null : k.nativeP99WithoutCollectionsMs(),
        k == null ? null : k.rfc(),
        k == null ? null : k.rfcThreePto(),
        k == null ? null : k.rfcOverThreePto(),
        k == null ? null : k.silentThreePto(),
        k == null ? null : k.silentOverThreePto(),
        drainBytes,
        k == null ? null : k.drain(),
        k == null ? null : k.applicationAck(),
        k == null ? null : k.drainAcknowledgedBy(),
        k == null ? null : k.applicationAckStalls(),
        k == null ? null : k.applicationAckAttempts(),
        k == null ? null : k.drainOverApplicationAck(),
        stacks,
        firstCloseRuns,
        QuicBenchmark.FIRST_CLOSE_TARGET_MS,
        QuicBenchmark.RAPID_P99_TARGET_MS,
        QuicBenchmark.RFC_OVER_3PTO_TARGET_MS);
  }

  /**
   * One stack's figures, against the same peer as the others.
   *
   * @param stack kwik or netty
   * @param description what its connections are
   * @param nativeCloseCall the stack's own close, the rapid close's baseline
   * @param threePtoSource where its 3×PTO figures come from
   * @param rapid graceful's rapid close, subscription to SENT
   * @param nativeClose the stack's own close, interleaved with the above
   * @param rapidCollected rapid closes during which the JVM collected garbage
   * @param nativeCollected native closes during which it did
   * @param rapidP99WithoutCollectionsMs the rapid p99 without those
   * @param nativeP99WithoutCollectionsMs the native p99 without those
   * @param rfc graceful's RFC close, subscription to COMPLETE, answering peer
   * @param rfcThreePto 3×PTO when each of those began
   * @param rfcOverThreePto each of those less its 3×PTO
   * @param silentThreePto 3×PTO of each RFC close into a peer silent after the handshake
   * @param silentOverThreePto each of those closes' duration less its 3×PTO
   * @param drain graceful's drain, first write to CONNECTION_CLOSE
   * @param applicationAck the peer application's one-byte acknowledgement of the same bytes,
   *     written on the stack's own stream (null: it never came)
   * @param drainAcknowledgedBy graceful's drain ended by the acknowledgedBy hook
   * @param applicationAckStalls acknowledgements that never came
   * @param applicationAckAttempts acknowledgements awaited, warm-up included
   * @param drainOverApplicationAck median drain over median acknowledgement
   * @param cpu CPU per close
   * @param firstClose fresh JVMs' first rapid close (null: not run)
   * @param failures measurements that failed: measure, then how many and the first error
   */
  public record Stack(
      String stack,
      String description,
      String nativeCloseCall,
      String threePtoSource,
      Sample rapid,
      Sample nativeClose,
      int rapidCollected,
      int nativeCollected,
      Double rapidP99WithoutCollectionsMs,
      Double nativeP99WithoutCollectionsMs,
      Sample rfc,
      Sample rfcThreePto,
      Sample rfcOverThreePto,
      Sample silentThreePto,
      Sample silentOverThreePto,
      Sample drain,
      Sample applicationAck,
      Sample drainAcknowledgedBy,
      int applicationAckStalls,
      int applicationAckAttempts,
      Double drainOverApplicationAck,
      Cpu cpu,
      FirstClose firstClose,
      java.util.Map<String, String> failures) {}

  /**
   * CPU per close: process CPU time (all threads, the in-process peer's included) over a batch of
   * closes of connections opened ahead, less the process's CPU at rest over as long, per close.
   *
   * @param closesPerBatch connections closed per batch (0: not measured)
   * @param rapidMsPerClose graceful's rapid close
   * @param nativeMsPerClose the stack's own close
   * @param note how it was measured
   */
  public record Cpu(
      int closesPerBatch, Double rapidMsPerClose, Double nativeMsPerClose, String note) {}

  /**
   * A fresh JVM's first rapid close, subscription to SENT, its handshake done.
   *
   * @param ms one per child JVM, null where it failed
   * @param minMs the fastest
   * @param medianMs the median
   * @param maxMs the slowest
   * @param classesLoaded classes each child JVM loaded during its close (all threads), null where
   *     unknown
   * @param ownCloseMs the stack's own first close, one per further child JVM (Kwik's close(0, "")
   *     to its return, Netty's close to its future), null where it failed
   * @param ownCloseClassesLoaded classes those children loaded during it, null where unknown
   * @param errors why children failed
   */
  public record FirstClose(
      Sample ms,
      Double minMs,
      Double medianMs,
      Double maxMs,
      Sample classesLoaded,
      Sample ownCloseMs,
      Sample ownCloseClassesLoaded,
      java.util.List<String> errors) {
    static FirstClose of(
        double[] ms,
        double[] classes,
        double[] ownMs,
        double[] ownClasses,
        java.util.List<String> errors) {
      Stats s = new Stats(QuicSummary.known(ms));
      return new FirstClose(
          Sample.of(ms),
          Json.number(s.n() == 0 ? Double.NaN : s.p(0)),
          Json.number(s.median()),
          Json.number(s.max()),
          Sample.of(classes),
          Sample.of(ownMs),
          Sample.of(ownClasses),
          errors);
    }
  }

  /**
   * A kind of timed close.
   *
   * @param percentiles of the values known
   * @param values in the order timed; null where unknown
   */
  public record Sample(Distribution percentiles, Double[] values) {
    /**
     * @param ms the values, NaN where unknown
     * @return the sample
     */
    public static Sample of(double[] ms) {
      Double[] v = new Double[ms.length];
      for (int i = 0; i < ms.length; i++) {
        v[i] = Json.number(ms[i]);
      }
      return new Sample(
          Distribution.of(java.util.Arrays.stream(ms).filter(Double::isFinite).toArray()), v);
    }

    double[] known() {
      return java.util.Arrays.stream(values)
          .filter(java.util.Objects::nonNull)
          .mapToDouble(Double::doubleValue)
          .toArray();
    }
  }

  /**
   * Draws quic-ratios.png and quic-latency.png into {@code dir}.
   *
   * @param dir where
   * @throws IOException if a file cannot be written
   */
  public void plot(Path dir) throws IOException {
    Map<String, double[]> ratios = new LinkedHashMap<>();
    for (Stack s : stacks) {
      ratios.put(
          s.stack() + ": rapid close / its own close, pair by pair",
          ratio(s.rapid(), s.nativeClose()));
      ratios.put(
          s.stack() + ": drain / application ack, round by round",
          ratio(s.drain(), s.applicationAck()));
    }
    Charts.ratios(
        dir.resolve("quic-ratios.png"),
        "QUIC: graceful over each stack's baseline, same pair or round",
        "pair or round",
        "time ratio, logarithmic (below 1: graceful faster)",
        true,
        ratios);
    Map<String, double[]> latencies = new LinkedHashMap<>();
    for (Stack s : stacks) {
      latencies.put(s.stack() + ": rapid close (to SENT)", s.rapid().known());
      latencies.put(s.stack() + ": its own close", s.nativeClose().known());
      latencies.put(s.stack() + ": RFC close (to COMPLETE)", s.rfc().known());
      latencies.put(s.stack() + ": drain " + drainBytes + " B", s.drain().known());
      latencies.put(s.stack() + ": application ack", s.applicationAck().known());
    }
    Charts.percentiles(
        dir.resolve("quic-latency.png"),
        "QUIC: close latencies by stack",
        "ms (logarithmic)",
        true,
        latencies);
  }

  /**
   * @return a[i] / b[i], NaN where either is unknown
   */
  private static double[] ratio(Sample a, Sample b) {
    double[] r = new double[Math.min(a.values.length, b.values.length)];
    for (int i = 0; i < r.length; i++) {
      r[i] = a.values[i] == null || b.values[i] == null ? Double.NaN : a.values[i] / b.values[i];
    }
    return r;
  }
}
