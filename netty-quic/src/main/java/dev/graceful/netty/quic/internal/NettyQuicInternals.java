package dev.graceful.netty.quic.internal;

import io.netty.handler.codec.quic.QuicChannel;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The one class that reads Netty's QUIC codec past its public API, for the one thing that API does
 * not say: whether quiche has released a stream, which it does once the stream's every byte and its
 * FIN were acknowledged (and, for a bidirectional stream, the peer's side was read to its end).
 * When the internals cannot be read (another codec version, the module path), the answer is empty
 * and a drain reports {@code NOT_DRAINED} rather than guess.
 */
public final class NettyQuicInternals {
  private static final @Nullable Method STREAM_CAPACITY;
  private static final long INVALID_STREAM_STATE;

  static {
    Method capacity = null;
    long invalid = 0;
    try {
      Class<?> channel = Class.forName("io.netty.handler.codec.quic.QuicheQuicChannel");
      capacity = channel.getDeclaredMethod("streamCapacity", long.class);
      capacity.setAccessible(true);
      Field f =
          Class.forName("io.netty.handler.codec.quic.Quiche")
              .getDeclaredField("QUICHE_ERR_INVALID_STREAM_STATE");
      f.setAccessible(true);
      invalid = f.getInt(null);
    } catch (ReflectiveOperationException | RuntimeException | LinkageError unreadable) {
      capacity = null;
    }
    STREAM_CAPACITY = capacity;
    INVALID_STREAM_STATE = invalid;
  }

  private NettyQuicInternals() {}

  /**
   * @return whether the internals can be read here
   */
  public static boolean available() {
    return STREAM_CAPACITY != null;
  }

  /**
   * Whether quiche no longer holds the stream: every byte and the FIN it was given were
   * acknowledged. Call on the channel's event loop, while the connection is open.
   *
   * @param channel the connection
   * @param streamId the stream
   * @return true once released; empty when the internals cannot be read
   */
  public static Optional<Boolean> released(QuicChannel channel, long streamId) {
    Method m = STREAM_CAPACITY;
    if (m == null || !m.getDeclaringClass().isInstance(channel)) {
      return Optional.empty();
    }
    try {
      long capacity = (long) m.invoke(channel, streamId);
      return Optional.of(capacity == INVALID_STREAM_STATE);
    } catch (ReflectiveOperationException | RuntimeException e) {
      return Optional.empty();
    }
  }
}
