package dev.graceful.core;

import reactor.core.publisher.Mono;

/**
 * G10: a server, or a part of one, that one {@link ServerShutdown} policy shuts down gracefully,
 * reporting every kind of server the same way. graceful's TLS, DTLS and QUIC servers implement it,
 * and so does the reactor-netty adapter, so a process holding several servers of different kinds
 * stops them all with one policy object and reads one report shape.
 *
 * <p>Semantics every implementation keeps:
 *
 * <ul>
 *   <li>Cold: nothing happens before the returned Mono is subscribed.
 *   <li>Once: the first subscription starts the shutdown (G1–G5 by its {@code how}); every later
 *       subscription, whatever policy it passes, observes that same run and its report, so a
 *       framework's stop callback and an operator's signal handler can both ask without running it
 *       twice.
 *   <li>Cancelling a subscriber stops only its waiting: the server already refuses newcomers and
 *       the connections' endings go on to the report, which later subscribers still receive.
 * </ul>
 */
public interface GracefulShutdown {
  /**
   * Stops accepting, lets in-flight exchanges finish within the grace period, shuts every open
   * connection down by the policy, forces the stragglers at the deadline and reports.
   *
   * @param how the policy; only the first subscription's is used
   * @return the report, once every connection counted in it has ended
   */
  Mono<ShutdownReport> shutdown(ServerShutdown how);

  /**
   * @return true once a shutdown has been subscribed (it may have finished since)
   */
  boolean isShuttingDown();
}
