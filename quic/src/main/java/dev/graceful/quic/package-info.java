/**
 * QUIC connections and servers on Kwik, with their shutdown.
 *
 * <p>Every type here is null-marked: nothing is null unless annotated {@code @Nullable}.
 */
@NullMarked
package dev.graceful.quic;

import org.jspecify.annotations.NullMarked;
