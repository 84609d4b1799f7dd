/**
 * TLS and cleartext shutdown of Netty and reactor-netty connections, graceful reactor-netty server
 * shutdown, and a reactor-netty client that stops reusing connections its peer is closing.
 *
 * <p>The API layer of the module: it builds on {@code netty.internal} and on core's API and SPI,
 * and its public signatures name only its own types, core's API, Netty's and reactor-netty's.
 *
 * <p>Every type here is null-marked: nothing is null unless annotated {@code @Nullable}.
 */
@NullMarked
package dev.graceful.netty;

import org.jspecify.annotations.NullMarked;
