package dev.graceful.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChartsTest {
  @Test
  void drawsTheRatiosRoundByRoundOnEitherAxis(@TempDir Path dir) throws Exception {
    Map<String, double[]> series = new LinkedHashMap<>();
    series.put("graceful:2/netty:2 FAST", new double[] {1.02, 0.97, 1.10});
    series.put("graceful:1/raw:1 FAST", new double[] {0.91, Double.NaN, 0.95});
    for (boolean log : new boolean[] {false, true}) {
      Path png = dir.resolve("charts/ratios-" + log + ".png");

      Charts.ratios(png, "ratios", "round", "ratio", log, series);

      assertPng(png);
    }
  }

  @Test
  void drawsPercentileCurvesOnEitherAxis(@TempDir Path dir) throws Exception {
    Map<String, double[]> samples = new LinkedHashMap<>();
    samples.put("rapid", new double[] {0.2, 0.4, 0.3, 1.5, 0.25});
    samples.put("kwik", new double[] {0.5, 0.7, 0.6, 9.0, 0.0});
    for (boolean log : new boolean[] {false, true}) {
      Path png = dir.resolve("latency-" + log + ".png");

      Charts.percentiles(png, "latency", "ms", log, samples);

      assertPng(png);
    }
  }

  private static void assertPng(Path png) throws Exception {
    assertThat(Files.size(png)).isPositive();
    BufferedImage image = ImageIO.read(png.toFile());
    assertThat(image).isNotNull();
    assertThat(image.getWidth()).isEqualTo(Charts.WIDTH);
    assertThat(image.getHeight()).isEqualTo(Charts.HEIGHT);
  }
}
