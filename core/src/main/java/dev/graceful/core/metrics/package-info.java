/**
 * Publishing shutdown reports as Micrometer meters, when the application has Micrometer.
 *
 * <p>An API package on the API ({@code dev.graceful.core}) alone; nothing in graceful depends on it
 * but the Spring integration.
 *
 * <p>Every type here is null-marked: nothing is null unless annotated {@code @Nullable}.
 */
@NullMarked
package dev.graceful.core.metrics;

import org.jspecify.annotations.NullMarked;
