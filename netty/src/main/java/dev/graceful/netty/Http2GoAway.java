package dev.graceful.netty;

import dev.graceful.netty.internal.PingAnswerWatch;
import io.netty.channel.Channel;
import io.netty.handler.codec.http2.DefaultHttp2GoAwayFrame;
import io.netty.handler.codec.http2.DefaultHttp2PingFrame;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2ConnectionAdapter;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2Stream;
import reactor.core.publisher.Mono;

/**
 * RFC 9113 §6.8, a graceful HTTP/2 shutdown: a first GOAWAY with the largest stream id (the client
 * stops opening streams; those already on their way are still taken), a PING, and once its answer
 * proves a round trip, the final GOAWAY naming the last stream the server took. The connection's
 * notice settles with the final one, so the client learns which of its streams were processed
 * before the connection's close.
 */
final class Http2GoAway {
  private Http2GoAway() {}

  /**
   * @param channel an HTTP/2 connection (h2 or h2c)
   * @param codec its frame codec
   * @param notice the connection's notice
   */
  static void announce(Channel channel, Http2FrameCodec codec, ShutdownNotice notice) {
    notice.give(
        notice.settled(),
        () -> {
          if (!channel.isActive()) {
            return;
          }
          channel
              .pipeline()
              .addAfter(
                  channel.pipeline().context(codec).name(),
                  PingAnswerWatch.NAME,
                  new PingAnswerWatch(notice::settle));
          channel
              .write(
                  new DefaultHttp2GoAwayFrame(Http2Error.NO_ERROR)
                      .setExtraStreamIds(Integer.MAX_VALUE))
              .addListener(f -> {});
          channel
              .writeAndFlush(new DefaultHttp2PingFrame(PingAnswerWatch.PAYLOAD))
              .addListener(f -> {});
        });
  }

  /**
   * @param channel a connection
   * @return completes once an HTTP/2 connection has no active stream (or is closed); at once for
   *     any other: a response's last frames can still wait behind the client's flow-control window
   *     after its handler completed, and a close before them would cut the response
   */
  static Mono<Void> streamsClosed(Channel channel) {
    Http2FrameCodec codec = channel.pipeline().get(Http2FrameCodec.class);
    if (codec == null) {
      return Mono.empty();
    }
    return Mono.create(
        sink ->
            channel
                .eventLoop()
                .execute(
                    () -> {
                      Http2Connection h2 = codec.connection();
                      if (h2.numActiveStreams() == 0 || !channel.isActive()) {
                        sink.success();
                        return;
                      }
                      Http2Connection.Listener last =
                          new Http2ConnectionAdapter() {
                            @Override
                            public void onStreamClosed(Http2Stream stream) {
                              if (h2.numActiveStreams() == 0) {
                                sink.success();
                              }
                            }
                          };
                      h2.addListener(last);
                      // removed in a task of its own: never while the connection walks its
                      // listeners
                      sink.onDispose(
                          () -> channel.eventLoop().execute(() -> h2.removeListener(last)));
                      channel.closeFuture().addListener(f -> sink.success());
                    }));
  }
}
