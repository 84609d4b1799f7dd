package dev.graceful.core;

/** Who started the shutdown: whose close message came first. */
public enum Initiator {
  /** We sent our close first (or nothing was exchanged and we ended it). */
  LOCAL,
  /** The peer's close was received before ours was sent. */
  PEER
}
