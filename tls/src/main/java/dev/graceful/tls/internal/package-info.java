/**
 * The TLS record and close_notify state machine and its transports; not part of the API.
 *
 * <p>Every type here is null-marked: nothing is null unless annotated {@code @Nullable}.
 */
@NullMarked
package dev.graceful.tls.internal;

import org.jspecify.annotations.NullMarked;
