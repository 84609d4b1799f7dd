/**
 * TLS and cleartext shutdown of Netty and reactor-netty connections, graceful reactor-netty
 * server shutdown, and a reactor-netty client that stops reusing connections its peer is closing.
 *
 * <p>Every type here is null-marked: nothing is null unless annotated {@code @Nullable}.
 */
@NullMarked
package dev.graceful.netty;

import org.jspecify.annotations.NullMarked;
