package dev.graceful.samples;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** A count of bytes ({@code --send}): a whole number, zero or more. */
final class ByteCountConverter implements ITypeConverter<Long> {
  @Override
  public Long convert(String value) {
    long n;
    try {
      n = Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      throw new TypeConversionException("'" + value + "' is not a number of bytes");
    }
    if (n < 0) {
      throw new TypeConversionException("a number of bytes cannot be negative: '" + value + "'");
    }
    return n;
  }
}
