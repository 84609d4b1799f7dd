package dev.graceful.netty.internal;

import io.netty.buffer.ByteBuf;

/**
 * What a channel handler tells the connection it watches, on the channel's event loop: the bytes
 * the peer sent, an error, the channel's end, and closes from above. Both shutdown engines observe
 * their channel through it ({@link ObservingHandler} is the handler side).
 */
public interface ConnectionObserver {
  /**
   * @param data bytes the peer sent (plaintext, past the {@code SslHandler}, for TLS)
   * @return true when the observer consumed them (the handler then releases them), false to pass
   *     them on to the channel's next handlers
   */
  boolean onData(ByteBuf data);

  /**
   * @param cause an exception the pipeline reported
   */
  void onError(Throwable cause);

  /** The channel ended. */
  void onInactive();

  /**
   * @return whether a close from above is to wait for graceful's own
   */
  boolean holdsCloses();

  /** A close from above passes by, while the channel is still active. */
  default void onCloseFromAbove() {}
}
