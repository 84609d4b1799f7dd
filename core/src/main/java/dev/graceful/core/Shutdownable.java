package dev.graceful.core;

import reactor.core.publisher.Mono;

/** A connection that can be shut down by a {@link ShutdownSpec}. */
public interface Shutdownable {

  /**
   * Shuts the connection down as {@code spec} says. Cold: nothing happens before subscription.
   * Subscribing again continues from the current state (SSL_shutdown called again); concurrent
   * subscribers with the same spec share one exchange.
   *
   * @param spec the policy
   * @return the shutdown
   */
  Mono<ShutdownResult> shutdown(ShutdownSpec spec);

  /**
   * @return the current state bits, readable from any thread
   */
  ShutdownState shutdownState();

  /**
   * @return the connection's identity, as results and errors name it
   */
  String connectionId();
}
