/**
 * TLS shutdown of Netty and reactor-netty connections, and graceful reactor-netty server
 * shutdown.
 *
 * <p>Every type here is null-marked: nothing is null unless annotated {@code @Nullable}.
 */
@NullMarked
package dev.graceful.netty;

import org.jspecify.annotations.NullMarked;
