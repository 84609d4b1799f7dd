/**
 * The Kwik close and drain machinery; not part of the API.
 *
 * <p>Every type here is null-marked: nothing is null unless annotated {@code @Nullable}.
 */
@NullMarked
package dev.graceful.quic.internal;

import org.jspecify.annotations.NullMarked;
