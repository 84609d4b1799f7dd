package dev.graceful.netty.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http2.DefaultHttp2GoAwayFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.ssl.SslCloseCompletionEvent;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The client's watch for its peer's closing signals, on an embedded channel. */
@Tag("G9")
class PeerClosingWatchTest {
  @Test
  void openConnectionWithoutSignalsIsReusable() {
    EmbeddedChannel ch = new EmbeddedChannel(new PeerClosingWatch());
    FullHttpResponse keepAlive =
        new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
    ch.writeInbound(keepAlive);
    ReferenceCountUtil.release(ch.readInbound());
    assertThat(PeerClosingWatch.closing(ch)).isFalse();
    ch.finishAndReleaseAll();
  }

  @Test
  void responseSayingConnectionCloseMarksIt() {
    EmbeddedChannel ch = new EmbeddedChannel(new PeerClosingWatch());
    FullHttpResponse last =
        new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
    last.headers().set(HttpHeaderNames.CONNECTION, "Close");
    ch.writeInbound(last);
    FullHttpResponse passed = ch.readInbound();
    assertThat(passed).isSameAs(last);
    passed.release();
    assertThat(PeerClosingWatch.closing(ch)).isTrue();
    ch.finishAndReleaseAll();
  }

  @Test
  void closeNotifyMarksIt() {
    EmbeddedChannel ch = new EmbeddedChannel(new PeerClosingWatch());
    ch.pipeline().fireUserEventTriggered(SslCloseCompletionEvent.SUCCESS);
    assertThat(PeerClosingWatch.closing(ch)).isTrue();
    ch.finishAndReleaseAll();
  }

  @Test
  void finMarksIt() {
    EmbeddedChannel ch = new EmbeddedChannel(new PeerClosingWatch());
    ch.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
    assertThat(PeerClosingWatch.closing(ch)).isTrue();
    ch.finishAndReleaseAll();
  }

  @Test
  void goAwayMarksIt() {
    EmbeddedChannel ch = new EmbeddedChannel(new PeerClosingWatch());
    Http2GoAwayFrame goAway = new DefaultHttp2GoAwayFrame(Http2Error.NO_ERROR);
    ch.writeInbound(goAway);
    ReferenceCountUtil.release(ch.readInbound());
    assertThat(PeerClosingWatch.closing(ch)).isTrue();
    ch.finishAndReleaseAll();
  }

  @Test
  void closedChannelIsClosing() {
    EmbeddedChannel ch = new EmbeddedChannel(new PeerClosingWatch());
    ch.close();
    assertThat(PeerClosingWatch.closing(ch)).isTrue();
    ch.finishAndReleaseAll();
  }
}
