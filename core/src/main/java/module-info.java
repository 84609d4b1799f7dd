/**
 * graceful's core: the shutdown API ({@code dev.graceful.core}) and the SPI protocol modules
 * implement ({@code dev.graceful.core.spi}). The exchange machinery stays internal.
 */
module dev.graceful.core {
  requires static transitive org.jspecify;
  requires transitive reactor.core;
  requires transitive org.reactivestreams;
  requires static reactor.blockhound; // only to declare the loop's one allowed wait
  requires static micrometer.core; // ShutdownMetrics, when the application has Micrometer

  exports dev.graceful.core;
  exports dev.graceful.core.spi;
  exports dev.graceful.core.metrics;
}
