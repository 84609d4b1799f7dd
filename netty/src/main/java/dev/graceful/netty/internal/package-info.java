/**
 * The Netty shutdown engines (TLS through the {@code SslHandler}, cleartext through TCP's FIN) and
 * the pipeline handlers of graceful server shutdown; not part of the API.
 *
 * <p>Depends on core's API and SPI and on Netty only, never on {@code dev.graceful.netty}, which
 * builds on it.
 *
 * <p>Every type here is null-marked: nothing is null unless annotated {@code @Nullable}.
 */
@NullMarked
package dev.graceful.netty.internal;

import org.jspecify.annotations.NullMarked;
