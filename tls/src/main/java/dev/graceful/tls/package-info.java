/**
 * TLS and DTLS connections and servers on the JDK {@code SSLEngine}, with their shutdown.
 *
 * <p>The API layer of the module: it builds on {@code tls.internal} and on core's API and SPI, and
 * nothing in graceful below it depends on it. Its public signatures name only its own types and
 * core's API ({@code LoopGroup}, never a selector loop).
 *
 * <p>Every type here is null-marked: nothing is null unless annotated {@code @Nullable}.
 */
@NullMarked
package dev.graceful.tls;

import org.jspecify.annotations.NullMarked;
