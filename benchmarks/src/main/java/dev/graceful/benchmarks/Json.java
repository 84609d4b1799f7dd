package dev.graceful.benchmarks;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

/**
 * The {@code --json} results file: one document per run, with what the run printed, the machine and
 * JVM it ran on, its command line and when it ended. BENCHMARKS.md describes the fields.
 */
public final class Json {
  private static final ObjectMapper MAPPER =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private Json() {}

  /**
   * The whole file.
   *
   * @param benchmark the subcommand
   * @param timestamp when the run ended, ISO-8601 in UTC
   * @param arguments the subcommand's command line, after {@code java -jar graceful-benchmarks.jar}
   * @param machine where it ran
   * @param results the subcommand's own figures
   */
  public record Document(
      String benchmark, String timestamp, List<String> arguments, Machine machine, Object results) {
    /**
     * @param benchmark the subcommand
     * @param arguments its command line
     * @param results its figures
     * @return the document, stamped now, for this machine
     */
    public static Document now(String benchmark, List<String> arguments, Object results) {
      return new Document(
          benchmark, Instant.now().toString(), List.copyOf(arguments), Machine.current(), results);
    }
  }

  /**
   * The machine and JVM.
   *
   * @param cores the processors this JVM may use
   * @param osName the operating system
   * @param osVersion its version (Linux: the kernel's)
   * @param osArch the architecture
   * @param javaVersion the JDK's version
   * @param javaVendor its vendor
   * @param vmName the JVM
   * @param vmVersion its version
   * @param jvmArguments the options this JVM was started with
   * @param maxHeapBytes the heap's limit
   */
  public record Machine(
      int cores,
      String osName,
      String osVersion,
      String osArch,
      String javaVersion,
      String javaVendor,
      String vmName,
      String vmVersion,
      List<String> jvmArguments,
      long maxHeapBytes) {
    /**
     * @return this JVM's
     */
    public static Machine current() {
      return new Machine(
          Runtime.getRuntime().availableProcessors(),
          System.getProperty("os.name"),
          System.getProperty("os.version"),
          System.getProperty("os.arch"),
          System.getProperty("java.version"),
          System.getProperty("java.vendor"),
          System.getProperty("java.vm.name"),
          System.getProperty("java.vm.version"),
          List.copyOf(ManagementFactory.getRuntimeMXBean().getInputArguments()),
          Runtime.getRuntime().maxMemory());
    }
  }

  /**
   * Writes {@code document} to {@code file}, making its directory if needed.
   *
   * @param file where
   * @param document what
   * @throws IOException if it cannot be written
   */
  public static void write(Path file, Document document) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    if (dir != null) {
      Files.createDirectories(dir);
    }
    MAPPER.writeValue(file.toFile(), document);
  }

  /**
   * @param v a figure
   * @return {@code v}, or null for NaN or an infinity (JSON has neither)
   */
  public static Double number(double v) {
    return Double.isFinite(v) ? v : null;
  }

  /**
   * @param v a figure where negative means unknown
   * @return {@code v}, or null if negative
   */
  public static Long known(long v) {
    return v < 0 ? null : v;
  }
}
