/**
 * QUIC shutdown of Netty {@code QuicChannel}s (Netty's quiche-based QUIC codec, as reactor-netty's
 * HTTP/3 uses it), with the contract of {@code graceful-quic}: drainage, RFC and rapid closes,
 * peer-wait, the application error code and reason of {@code QuicShutdown}, and graceful shutdown
 * of a Netty QUIC server.
 *
 * <p>The API layer of the module: it builds on {@code netty.quic.internal}, on core's API and SPI
 * and on {@code graceful-quic}'s API, and its public signatures name only its own types, core's
 * API, {@code graceful-quic}'s API and Netty's.
 *
 * <p>Every type here is null-marked: nothing is null unless annotated {@code @Nullable}.
 */
@NullMarked
package dev.graceful.netty.quic;

import org.jspecify.annotations.NullMarked;
