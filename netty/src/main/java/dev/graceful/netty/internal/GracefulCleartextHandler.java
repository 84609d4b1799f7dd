package dev.graceful.netty.internal;

/**
 * First in a cleartext channel's pipeline: tells the engine about the bytes that arrive, an I/O
 * error, and the channel's end; sees every close from above (the last outbound handler), and while
 * a server shutdown holds closes, makes it wait for graceful's own.
 */
public final class GracefulCleartextHandler extends ObservingHandler {
  /** The name it has in a pipeline. */
  public static final String NAME = "graceful.cleartext";

  /**
   * @param engine the connection's engine
   */
  public GracefulCleartextHandler(NettyCleartextEngine engine) {
    super(engine);
  }
}
