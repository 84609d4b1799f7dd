/**
 * The Netty {@code SslHandler}-driven shutdown engine; not part of the API.
 *
 * <p>Every type here is null-marked: nothing is null unless annotated {@code @Nullable}.
 */
@NullMarked
package dev.graceful.netty.internal;

import org.jspecify.annotations.NullMarked;
