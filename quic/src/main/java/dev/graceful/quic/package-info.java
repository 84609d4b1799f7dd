/**
 * QUIC connections and servers on Kwik, with their shutdown, and QUIC's own shutdown options
 * ({@link dev.graceful.quic.QuicShutdown}).
 *
 * <p>The API layer of the module: it builds on {@code quic.internal} and on core's API and SPI, and
 * its public signatures name only its own types, core's API and Kwik's.
 *
 * <p>Every type here is null-marked: nothing is null unless annotated {@code @Nullable}.
 */
@NullMarked
package dev.graceful.quic;

import org.jspecify.annotations.NullMarked;
