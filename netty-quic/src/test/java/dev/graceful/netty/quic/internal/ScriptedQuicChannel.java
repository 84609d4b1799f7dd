package dev.graceful.netty.quic.internal;

import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicConnectionPathStats;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link QuicChannel} without quiche behind it, for the engine's timer logic: its event loop is
 * an {@link EmbeddedChannel}'s, which the test thread runs ({@link #pump()}); its close is recorded
 * and closes the channel as Netty's does (at once, no closing period); its path statistics give the
 * RTT the test sets. Only what {@link NettyQuicEngine} calls is answered. Test code.
 */
final class ScriptedQuicChannel {
  /** One close the engine asked for. */
  record Close(boolean application, int code, String reason) {}

  final EmbeddedChannel embedded = new EmbeddedChannel();
  final List<Close> closes = new ArrayList<>();
  final QuicChannel channel;
  private final long rttNanos;

  /**
   * @param rttNanos the path's RTT as quiche would report it
   */
  ScriptedQuicChannel(long rttNanos) {
    this.rttNanos = rttNanos;
    this.channel =
        (QuicChannel)
            Proxy.newProxyInstance(
                QuicChannel.class.getClassLoader(),
                new Class<?>[] {QuicChannel.class},
                (proxy, m, args) -> answer(proxy, m, args));
  }

  /** Runs the loop until it is idle. */
  void pump() {
    embedded.runPendingTasks();
  }

  private Object answer(Object proxy, Method m, Object[] args) {
    switch (m.getName()) {
      case "pipeline":
        return embedded.pipeline();
      case "eventLoop":
        return embedded.eventLoop();
      case "closeFuture":
        return embedded.closeFuture();
      case "isOpen":
        return embedded.isOpen();
      case "isActive":
        return embedded.isActive();
      case "isTimedOut":
        return false;
      case "close":
        if (args != null && args.length >= 3) {
          ByteBuf reason = (ByteBuf) args[2];
          closes.add(
              new Close((boolean) args[0], (int) args[1], reason.toString(StandardCharsets.UTF_8)));
          reason.release();
          // Netty frees quiche's connection as it sends the close: the channel closes next
          embedded.eventLoop().execute(embedded::close);
          return embedded.newSucceededFuture();
        }
        throw new UnsupportedOperationException("close()");
      case "collectStats":
        return embedded
            .eventLoop()
            .newFailedFuture(new UnsupportedOperationException("no statistics"));
      case "collectPathStats":
        return embedded.eventLoop().newSucceededFuture(pathStats());
      case "hashCode":
        return System.identityHashCode(proxy);
      case "equals":
        return proxy == args[0];
      case "toString":
        return "scripted QUIC channel";
      default:
        throw new UnsupportedOperationException(m.getName());
    }
  }

  private QuicConnectionPathStats pathStats() {
    return (QuicConnectionPathStats)
        Proxy.newProxyInstance(
            QuicConnectionPathStats.class.getClassLoader(),
            new Class<?>[] {QuicConnectionPathStats.class},
            (proxy, m, args) -> {
              if (m.getName().equals("rtt")) {
                return rttNanos;
              }
              throw new UnsupportedOperationException(m.getName());
            });
  }
}
