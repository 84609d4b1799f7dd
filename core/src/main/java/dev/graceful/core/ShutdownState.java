package dev.graceful.core;

import java.util.ArrayList;
import java.util.List;

/**
 * Which close messages have been exchanged, as OpenSSL's {@code SSL_get_shutdown()} bits: {@link
 * #SENT} = {@code SSL_SENT_SHUTDOWN} (1), {@link #RECEIVED} = {@code SSL_RECEIVED_SHUTDOWN} (2).
 *
 * <p>"The SSL_SENT_SHUTDOWN flag is set once an attempt is made to send a close_notify alert,
 * regardless of whether the attempt was successful. The SSL_RECEIVED_SHUTDOWN flag is set once a
 * close_notify alert is received" (SSL_shutdown(3)).
 */
public enum ShutdownState {
  /** Nothing sent, nothing received. */
  NONE(0),
  /** Our close was sent (or its sending was attempted). */
  SENT(1),
  /** The peer's close was received. */
  RECEIVED(2),
  /** Both directions are closed. */
  SENT_AND_RECEIVED(3);

  private final int bits;

  private static final ShutdownState[] BY_BITS = values(); // declared in bit order

  ShutdownState(int bits) {
    this.bits = bits;
  }

  /**
   * Returns the state with the given OpenSSL bits.
   *
   * @param bits a combination of 1 (sent) and 2 (received)
   * @return the state
   * @throws IllegalArgumentException if {@code bits} has other bits set
   */
  public static ShutdownState ofBits(int bits) {
    if ((bits & ~3) != 0) {
      throw new IllegalArgumentException(
          "shutdown state bits must be a combination of 1 and 2: " + bits);
    }
    return BY_BITS[bits];
  }

  /**
   * @return OpenSSL's bit value: 0, 1, 2 or 3
   */
  public int bits() {
    return bits;
  }

  /**
   * @return true if our close was sent (or attempted)
   */
  public boolean sent() {
    return (bits & 1) != 0;
  }

  /**
   * @return true if the peer's close was received
   */
  public boolean received() {
    return (bits & 2) != 0;
  }

  /**
   * @param other bits to add
   * @return the union of both states
   */
  public ShutdownState with(ShutdownState other) {
    return ofBits(bits | other.bits);
  }

  /**
   * @return the set bits by name, {@code ["SENT", "RECEIVED"]} for both, empty for none
   */
  public List<String> names() {
    List<String> names = new ArrayList<>(2);
    if (sent()) {
      names.add("SENT");
    }
    if (received()) {
      names.add("RECEIVED");
    }
    return List.copyOf(names);
  }
}
