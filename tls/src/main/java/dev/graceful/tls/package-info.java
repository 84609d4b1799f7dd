/**
 * TLS and DTLS connections and servers on the JDK {@code SSLEngine}, with their shutdown.
 *
 * <p>Every type here is null-marked: nothing is null unless annotated {@code @Nullable}.
 */
@NullMarked
package dev.graceful.tls;

import org.jspecify.annotations.NullMarked;
