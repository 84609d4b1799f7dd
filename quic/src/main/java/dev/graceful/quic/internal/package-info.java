/**
 * The Kwik close and drain machinery; not part of the API.
 *
 * <p>Depends on core's API and SPI and on Kwik only, never on {@code dev.graceful.quic}, which
 * builds on it: a close's code and reason reach the engine as plain values.
 *
 * <p>Every type here is null-marked: nothing is null unless annotated {@code @Nullable}.
 */
@NullMarked
package dev.graceful.quic.internal;

import org.jspecify.annotations.NullMarked;
