package dev.graceful.benchmarks;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The quic subcommand's figures in the results file: each kind of timed close as its percentiles
 * and its values in the order timed (null for a value that could not be had), all in milliseconds.
 *
 * @param vm the JVM
 * @param kwikInternals whether graceful could read Kwik's internals (the PTO)
 * @param closeThreads when Kwik's close threads were started: AHEAD (on wrapping) or AT_CLOSE
 * @param settleMs the pause between handshake and a timed rapid or Kwik close
 * @param warmup untimed connections first
 * @param rapid graceful's rapid close, subscription to SENT
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
 */
public record QuicResults(
    String vm,
    boolean kwikInternals,
    String closeThreads,
    int settleMs,
    int warmup,
    Sample rapid,
    Sample kwikClose,
    int rapidCollected,
    int kwikCollected,
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
    int applicationAckStalls,
    int applicationAckAttempts,
    Double drainOverApplicationAck) {

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
    ratios.put("rapid close / Kwik close, pair by pair", ratio(rapid, kwikClose));
    ratios.put("drain / application ack, round by round", ratio(drain, applicationAck));
    Charts.ratios(
        dir.resolve("quic-ratios.png"),
        "QUIC on Kwik: graceful over the baseline, same pair or round",
        "pair or round",
        "time ratio, logarithmic (below 1: graceful faster)",
        true,
        ratios);
    Map<String, double[]> latencies = new LinkedHashMap<>();
    latencies.put("rapid close (to SENT)", rapid.known());
    latencies.put("Kwik close(code, reason)", kwikClose.known());
    latencies.put("RFC close (to COMPLETE)", rfc.known());
    latencies.put("drain " + drainBytes + " B", drain.known());
    latencies.put("application ack", applicationAck.known());
    latencies.put("drain with acknowledgedBy", drainAcknowledgedBy.known());
    Charts.percentiles(
        dir.resolve("quic-latency.png"),
        "QUIC on Kwik: close latencies",
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
