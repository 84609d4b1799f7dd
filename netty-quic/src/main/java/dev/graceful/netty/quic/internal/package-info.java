/**
 * The machinery of {@code dev.graceful.netty.quic}: the shutdown engine of one Netty {@code
 * QuicChannel} and the one class that reads the codec's internals. It builds on the module's API
 * package, on core's API and SPI, and on the API of {@code graceful-quic}; nothing here is public
 * API.
 */
@NullMarked
package dev.graceful.netty.quic.internal;

import org.jspecify.annotations.NullMarked;
