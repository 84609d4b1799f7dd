/**
 * The service-provider interface protocol modules implement: shutdown engines, the selector
 * loop that steps them, and their deadlines.
 *
 * <p>Every type here is null-marked: nothing is null unless annotated {@code @Nullable}.
 */
@NullMarked
package dev.graceful.core.spi;

import org.jspecify.annotations.NullMarked;
