/**
 * graceful's core: the shutdown API ({@code dev.graceful.core}, {@code dev.graceful.core.metrics})
 * and the SPI protocol modules implement ({@code dev.graceful.core.spi}) with the selector loop
 * they run on ({@code dev.graceful.core.spi.loop}). Layers, each depending only on those below it:
 * {@code spi.loop}; the API; the SPI; {@code internal} (the BlockHound integration, not exported).
 */
module dev.graceful.core {
  requires static transitive org.jspecify;
  requires transitive reactor.core;
  requires transitive org.reactivestreams;
  requires static reactor.blockhound; // only to declare the loop's one allowed wait
  requires static micrometer.core; // ShutdownMetrics, when the application has Micrometer

  exports dev.graceful.core;
  exports dev.graceful.core.spi;
  exports dev.graceful.core.spi.loop;
  exports dev.graceful.core.metrics;
}
