/**
 * The shutdown API: {@link dev.graceful.core.ShutdownSpec} policies, {@link
 * dev.graceful.core.ShutdownResult} outcomes, {@link dev.graceful.core.ShutdownException} errors and
 * server shutdown with its {@link dev.graceful.core.ShutdownReport}.
 *
 * <p>Every type here is null-marked: nothing is null unless annotated {@code @Nullable}.
 */
@NullMarked
package dev.graceful.core;

import org.jspecify.annotations.NullMarked;
