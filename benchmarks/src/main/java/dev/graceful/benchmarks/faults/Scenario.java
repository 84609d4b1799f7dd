package dev.graceful.benchmarks.faults;

/**
 * One row of the campaign.
 *
 * @param protocol TLSv1.2, TLSv1.3, DTLSv1.2 or QUIC
 * @param role the side graceful plays: client or server
 * @param fault what is thrown at it
 * @param peer the implementation on the other side
 * @param accepts the outcomes the contract allows, as printed in the docs
 * @param parallel how many trials run at once
 * @param weight its share of the campaign's time
 * @param trial one trial
 * @param stack graceful's implementation where a protocol has more than one (Netty's QUIC codec
 *     beside Kwik), or empty
 */
record Scenario(
    String protocol,
    String role,
    String fault,
    String peer,
    String accepts,
    int parallel,
    double weight,
    Trial trial,
    String stack) {
  /** A row of graceful's only implementation of its protocol. */
  Scenario(
      String protocol,
      String role,
      String fault,
      String peer,
      String accepts,
      int parallel,
      double weight,
      Trial trial) {
    this(protocol, role, fault, peer, accepts, parallel, weight, trial, "");
  }

  String name() {
    return protocol + " " + role + " " + fault;
  }
}
