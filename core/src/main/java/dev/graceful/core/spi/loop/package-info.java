/**
 * The selector loop protocol modules run their connections on: one thread, one {@code Selector},
 * and the deadlines timed for it.
 *
 * <p>Part of the SPI, below everything else: it depends on no other graceful package, so the API's
 * {@code LoopGroup} can own loops that the SPI package hands to protocol modules.
 *
 * <p>Every type here is null-marked: nothing is null unless annotated {@code @Nullable}.
 */
@NullMarked
package dev.graceful.core.spi.loop;

import org.jspecify.annotations.NullMarked;
