/**
 * Publishing shutdown reports as Micrometer meters, when the application has Micrometer.
 *
 * <p>Every type here is null-marked: nothing is null unless annotated {@code @Nullable}.
 */
@NullMarked
package dev.graceful.core.metrics;

import org.jspecify.annotations.NullMarked;
