/**
 * The BlockHound integration of the selector loop; not part of the API.
 *
 * <p>Depends on {@code spi.loop} only; nothing depends on it (BlockHound finds it as a service).
 *
 * <p>Every type here is null-marked: nothing is null unless annotated {@code @Nullable}.
 */
@NullMarked
package dev.graceful.core.internal;

import org.jspecify.annotations.NullMarked;
