/**
 * The service-provider interface for protocol modules: the shutdown engines they implement, the
 * {@link dev.graceful.core.spi.ShutdownCoordinator} that runs them, and {@link
 * dev.graceful.core.spi.SelectorLoops}, the way to a {@code LoopGroup}'s loops.
 *
 * <p>Layered on the API ({@code dev.graceful.core}) and on {@code spi.loop}; neither depends on it.
 * The exchange machinery behind the coordinator lives here too, package-private, since the
 * coordinator creates it and it drives the engines defined here.
 *
 * <p>Every type here is null-marked: nothing is null unless annotated {@code @Nullable}.
 */
@NullMarked
package dev.graceful.core.spi;

import org.jspecify.annotations.NullMarked;
