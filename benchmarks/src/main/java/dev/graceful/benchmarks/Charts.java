package dev.graceful.benchmarks;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.DecimalFormat;
import java.util.Arrays;
import java.util.Map;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.LegendTitle;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * The {@code --plot} charts, drawn by JFreeChart to PNG files: ratios round by round, and latency
 * distributions as percentile curves.
 */
public final class Charts {
  /** Width of every chart, in pixels. */
  public static final int WIDTH = 1000;

  /** Height of every chart, in pixels. */
  public static final int HEIGHT = 600;

  /** Series colours, told apart on white and by most colour-blind readers (Tableau's ten). */
  private static final Color[] PALETTE = {
    new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c), new Color(0xd62728),
        new Color(0x9467bd),
    new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f), new Color(0xbcbd22),
        new Color(0x17becf)
  };

  /** Points drawn per percentile curve, however large the sample. */
  private static final int CURVE_POINTS = 1000;

  static {
    // no display here, nor on CI: AWT draws off-screen
    System.setProperty("java.awt.headless", "true");
  }

  private Charts() {}

  /**
   * One line per ratio, one point per round, with a line at 1 (parity).
   *
   * @param png the file to write
   * @param title the chart's title
   * @param xLabel what a point's x is (1, 2, ...)
   * @param yLabel what the ratio is
   * @param logarithmic whether the ratio axis is logarithmic (for ratios far from 1)
   * @param series each ratio's values, round by round
   * @throws IOException if the file cannot be written
   */
  public static void ratios(
      Path png,
      String title,
      String xLabel,
      String yLabel,
      boolean logarithmic,
      Map<String, double[]> series)
      throws IOException {
    XYSeriesCollection data = new XYSeriesCollection();
    for (Map.Entry<String, double[]> e : series.entrySet()) {
      XYSeries s = new XYSeries(e.getKey(), false, true);
      double[] v = e.getValue();
      for (int i = 0; i < v.length; i++) {
        if (Double.isFinite(v[i]) && (!logarithmic || v[i] > 0)) {
          s.add(i + 1, v[i]);
        }
      }
      data.addSeries(s);
    }
    NumberAxis x = new NumberAxis(xLabel);
    x.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
    x.setAutoRangeIncludesZero(false);
    x.setLowerMargin(0.05);
    x.setUpperMargin(0.05);
    ValueAxis y;
    if (logarithmic) {
      y = logAxis(yLabel);
    } else {
      NumberAxis linear = new NumberAxis(yLabel);
      linear.setAutoRangeIncludesZero(false);
      y = linear;
    }
    XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
    XYPlot plot = new XYPlot(data, x, y, renderer);
    ValueMarker parity = new ValueMarker(1.0, Color.DARK_GRAY, new BasicStroke(1.5f));
    parity.setLabel("parity");
    parity.setLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    parity.setLabelAnchor(RectangleAnchor.TOP_LEFT);
    parity.setLabelTextAnchor(TextAnchor.BOTTOM_LEFT);
    plot.addRangeMarker(parity);
    write(png, title, plot);
  }

  /**
   * One curve per sample: the value under which a percentage of the sample lies.
   *
   * @param png the file to write
   * @param title the chart's title
   * @param yLabel what the values are
   * @param logarithmic whether the value axis is logarithmic (for samples of different magnitudes)
   * @param samples each sample's values, in any order
   * @throws IOException if the file cannot be written
   */
  public static void percentiles(
      Path png, String title, String yLabel, boolean logarithmic, Map<String, double[]> samples)
      throws IOException {
    XYSeriesCollection data = new XYSeriesCollection();
    for (Map.Entry<String, double[]> e : samples.entrySet()) {
      double[] sorted =
          Arrays.stream(e.getValue())
              .filter(v -> Double.isFinite(v) && (!logarithmic || v > 0))
              .sorted()
              .toArray();
      XYSeries s = new XYSeries(e.getKey() + " (n=" + sorted.length + ")", false, true);
      int points = Math.min(sorted.length, CURVE_POINTS);
      for (int i = 0; i < points; i++) {
        // evenly spaced ranks, the first and the last always among them
        int rank =
            points == 1
                ? sorted.length - 1
                : (int) Math.round((double) i * (sorted.length - 1) / (points - 1));
        s.add(100.0 * (rank + 1) / sorted.length, sorted[rank]);
      }
      data.addSeries(s);
    }
    NumberAxis x = new NumberAxis("percentile");
    x.setRange(0, 100);
    ValueAxis y;
    if (logarithmic) {
      y = logAxis(yLabel);
    } else {
      y = new NumberAxis(yLabel);
    }
    write(png, title, new XYPlot(data, x, y, new XYLineAndShapeRenderer(true, false)));
  }

  /**
   * @return a base-10 axis, labelled at the powers of 10, with a grid line at each multiple between
   */
  private static LogAxis logAxis(String label) {
    LogAxis log = new LogAxis(label);
    log.setSmallestValue(1e-3);
    log.setNumberFormatOverride(new DecimalFormat("0.###"));
    log.setTickUnit(new NumberTickUnit(1), false, false); // in powers of the base
    log.setAutoTickUnitSelection(false, false);
    log.setMinorTickCount(9);
    log.setMinorTickMarksVisible(true);
    return log;
  }

  private static void write(Path png, String title, XYPlot plot) throws IOException {
    plot.setBackgroundPaint(Color.WHITE);
    plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
    plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
    if (plot.getRangeAxis() instanceof LogAxis) {
      plot.setRangeMinorGridlinesVisible(true);
      plot.setRangeMinorGridlinePaint(new Color(0xeeeeee));
    }
    XYLineAndShapeRenderer r = (XYLineAndShapeRenderer) plot.getRenderer();
    for (int i = 0; i < plot.getDataset().getSeriesCount(); i++) {
      r.setSeriesStroke(i, new BasicStroke(2f));
      r.setSeriesPaint(i, PALETTE[i % PALETTE.length]);
    }
    JFreeChart chart = new JFreeChart(title, new Font(Font.SANS_SERIF, Font.BOLD, 18), plot, true);
    chart.setBackgroundPaint(Color.WHITE);
    LegendTitle legend = chart.getLegend();
    legend.setPosition(RectangleEdge.BOTTOM);
    Path dir = png.toAbsolutePath().getParent();
    if (dir != null) {
      Files.createDirectories(dir);
    }
    ChartUtils.saveChartAsPNG(png.toFile(), chart, WIDTH, HEIGHT);
  }
}
