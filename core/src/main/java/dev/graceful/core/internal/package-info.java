/**
 * The exchange machinery behind every shutdown; not part of the API.
 *
 * <p>Every type here is null-marked: nothing is null unless annotated {@code @Nullable}.
 */
@NullMarked
package dev.graceful.core.internal;

import org.jspecify.annotations.NullMarked;
