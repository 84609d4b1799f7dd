/**
 * The shutdown API: {@link dev.graceful.core.ShutdownSpec} policies, {@link
 * dev.graceful.core.ShutdownResult} outcomes, {@link dev.graceful.core.ShutdownException} errors,
 * server shutdown with its {@link dev.graceful.core.ShutdownReport}, and the {@link
 * dev.graceful.core.LoopGroup} connections run on.
 *
 * <p>The bottom layer of graceful: this package depends on no other graceful package but {@code
 * spi.loop}, privately (a {@code LoopGroup} owns its loops), and every other package may depend on
 * it. Its public signatures name only its own types and the JDK's and Reactor's.
 *
 * <p>Every type here is null-marked: nothing is null unless annotated {@code @Nullable}.
 */
@NullMarked
package dev.graceful.core;

import org.jspecify.annotations.NullMarked;
