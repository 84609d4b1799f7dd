package dev.graceful.benchmarks;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What an exception costs at a given depth of the Java stack. JDK 17's TLS engine throws and
 * catches some at every close (when it disposes its AES-GCM ciphers), and the JVM walks the whole
 * stack to fill in each one's trace: so the same engine call costs more the deeper it is made. This
 * measures that walk alone, with nothing TLS in it.
 *
 * <pre>java -cp benchmarks/target/graceful-benchmarks.jar org.openjdk.jmh.Main ThrowDepth</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 10, time = 1)
@Fork(
    value = 2,
    jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class ThrowDepthBenchmark {
  /** Frames between the benchmark method and the constructor of the exception. */
  @Param({"5", "20", "35", "50"})
  public int depth;

  @Benchmark
  public Object constructAtDepth() {
    return down(depth);
  }

  // Two methods calling each other, so that the JIT cannot turn the recursion into a loop; each
  // call stays a frame in the trace (inlined frames count too).
  private static Object down(int frames) {
    return frames == 0 ? new IllegalStateException("disposed") : across(frames - 1);
  }

  private static Object across(int frames) {
    return frames == 0 ? new IllegalStateException("disposed") : down(frames - 1);
  }
}
