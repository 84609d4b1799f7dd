package dev.graceful.samples;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Durations as the command line writes them: {@code 500ms}, {@code 3s}, {@code 2m}. */
final class DurationConverter implements ITypeConverter<Duration> {
  private static final Pattern FORM = Pattern.compile("(\\d{1,9})(ms|s|m)");

  /**
   * The longest duration: a day. Longer ones bound nothing useful, and near Long.MAX_VALUE
   * nanoseconds (292 years) they overflow the schedulers' arithmetic.
   */
  static final Duration MAX = Duration.ofDays(1);

  @Override
  public Duration convert(String value) {
    Matcher m = FORM.matcher(value.trim());
    if (!m.matches()) {
      throw new TypeConversionException("'" + value + "' is not a duration like 500ms, 3s or 2m");
    }
    long n = Long.parseLong(m.group(1));
    Duration d =
        switch (m.group(2)) {
          case "ms" -> Duration.ofMillis(n);
          case "s" -> Duration.ofSeconds(n);
          default -> Duration.ofMinutes(n);
        };
    if (d.isZero()) {
      throw new TypeConversionException("a duration must be positive: '" + value + "'");
    }
    if (d.compareTo(MAX) > 0) {
      throw new TypeConversionException("'" + value + "' is too long: at most 24h (1440m)");
    }
    return d;
  }
}
