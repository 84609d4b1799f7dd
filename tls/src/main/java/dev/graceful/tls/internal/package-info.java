/**
 * The TLS record and close_notify state machine and its transports; not part of the API.
 *
 * <p>Depends on core's API and SPI only, never on {@code dev.graceful.tls}, which builds on it: the
 * engine's {@link dev.graceful.tls.internal.TlsTransport} is its own, and a connection adapts the
 * API's transport to it.
 *
 * <p>Every type here is null-marked: nothing is null unless annotated {@code @Nullable}.
 */
@NullMarked
package dev.graceful.tls.internal;

import org.jspecify.annotations.NullMarked;
