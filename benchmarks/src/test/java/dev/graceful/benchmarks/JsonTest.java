package dev.graceful.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JsonTest {
  record Figures(String name, double[] perRound, Double unknown, Distribution latency) {}

  @Test
  void writesTheDocumentWithTheMachineAndTheFigures(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("sub/results.json");
    Figures figures =
        new Figures(
            "graceful:1/raw:1",
            new double[] {0.9, 1.1},
            Json.number(Double.NaN),
            Distribution.of(new double[] {3, 1, 2, 4}));

    Json.write(file, Json.Document.now("tls", List.of("tls", "--repeat", "2"), figures));

    JsonNode root = new ObjectMapper().readTree(file.toFile());
    assertThat(root.get("benchmark").asText()).isEqualTo("tls");
    assertThat(root.get("timestamp").asText()).matches("\\d{4}-\\d\\d-\\d\\dT.*Z");
    assertThat(root.get("arguments"))
        .extracting(JsonNode::asText)
        .containsExactly("tls", "--repeat", "2");
    JsonNode machine = root.get("machine");
    assertThat(machine.get("cores").asInt()).isEqualTo(Runtime.getRuntime().availableProcessors());
    assertThat(machine.get("javaVersion").asText()).isEqualTo(System.getProperty("java.version"));
    assertThat(machine.get("jvmArguments").isArray()).isTrue();
    JsonNode results = root.get("results");
    assertThat(results.get("name").asText()).isEqualTo("graceful:1/raw:1");
    assertThat(results.get("perRound")).extracting(JsonNode::asDouble).containsExactly(0.9, 1.1);
    assertThat(results.get("unknown").isNull()).isTrue();
    JsonNode latency = results.get("latency");
    assertThat(latency.get("n").asInt()).isEqualTo(4);
    assertThat(latency.get("p50").asDouble()).isEqualTo(2.0);
    assertThat(latency.get("max").asDouble()).isEqualTo(4.0);
  }

  @Test
  void anEmptySampleHasNullPercentiles(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("empty.json");

    Json.write(
        file,
        Json.Document.now("quic", List.of(), QuicResults.Sample.of(new double[] {Double.NaN})));

    JsonNode sample = new ObjectMapper().readTree(file.toFile()).get("results");
    assertThat(sample.get("percentiles").get("n").asInt()).isZero();
    assertThat(sample.get("percentiles").get("p99").isNull()).isTrue();
    assertThat(sample.get("values").get(0).isNull()).isTrue();
  }
}
