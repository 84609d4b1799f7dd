package dev.graceful.netty.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The HTTP/1.1 drain handler alone, on an embedded channel. */
class Http1DrainTest {
  /** An admission whose connection has begun its shutdown once {@code closing} is set. */
  static final class Counting implements Admission {
    boolean closing;
    int admitted;
    int done;
    int refused;

    @Override
    public boolean admit() {
      if (closing) {
        return false;
      }
      admitted++;
      return true;
    }

    @Override
    public void done() {
      done++;
    }

    @Override
    public void refused() {
      refused++;
    }
  }

  static FullHttpRequest get(String uri) {
    return new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, uri);
  }

  @Tag("G7")
  @Test
  void finalResponseHeadSaysConnectionCloseOnACopy() {
    EmbeddedChannel ch = new EmbeddedChannel(new Http1Drain(new Counting()));
    HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
    ch.writeOutbound(head);
    HttpResponse out = ch.readOutbound();
    assertThat(out.headers().get(HttpHeaderNames.CONNECTION)).isEqualTo("close");
    assertThat(head.headers().contains(HttpHeaderNames.CONNECTION))
        .as("the application's head is untouched")
        .isFalse();
    assertThat(ch.finishAndReleaseAll()).isFalse();
  }

  @Tag("G7")
  @Test
  void informationalResponsePassesUntouched() {
    EmbeddedChannel ch = new EmbeddedChannel(new Http1Drain(new Counting()));
    ch.writeOutbound(
        new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.SWITCHING_PROTOCOLS));
    HttpResponse out = ch.readOutbound();
    assertThat(out.headers().contains(HttpHeaderNames.CONNECTION)).isFalse();
    // and a request after it is still dispatched: the connection was not told to close
    FullHttpRequest next = get("/");
    ch.writeInbound(next);
    FullHttpRequest in = ch.readInbound();
    assertThat(in).isSameAs(next);
    in.release();
    ch.finishAndReleaseAll();
  }

  @Tag("G2")
  @Test
  void requestBeforeTheCloseIsDispatchedAndCountsUntilItsResponseIsWritten() {
    Counting admission = new Counting();
    EmbeddedChannel ch = new EmbeddedChannel(new Http1Drain(admission));
    FullHttpRequest req = get("/");
    ch.writeInbound(req);
    FullHttpRequest in = ch.readInbound();
    assertThat(in).isSameAs(req);
    in.release();
    assertThat(admission.admitted).isEqualTo(1);
    assertThat(admission.done).isZero();

    ch.writeOutbound(new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK));
    assertThat(admission.done).as("the head alone does not end it").isZero();
    ch.writeOutbound(
        new DefaultLastHttpContent(Unpooled.copiedBuffer("ok", StandardCharsets.US_ASCII)));
    assertThat(admission.done).isEqualTo(1);
    assertThat(ch.finishAndReleaseAll()).isTrue();
  }

  @Tag("G7")
  @Test
  void requestAfterAResponseSaidCloseIsRefusedWithItsBody() {
    Counting admission = new Counting();
    EmbeddedChannel ch = new EmbeddedChannel(new Http1Drain(admission));
    ch.writeOutbound(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK));
    ReferenceCountUtil.release(ch.readOutbound());

    HttpRequest head = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/late");
    ByteBuf part = Unpooled.copiedBuffer("body", StandardCharsets.US_ASCII);
    DefaultLastHttpContent last =
        new DefaultLastHttpContent(Unpooled.copiedBuffer("end", StandardCharsets.US_ASCII));
    DefaultHttpContent content = new DefaultHttpContent(part);
    assertThat(ch.writeInbound(head, content, last))
        .as("nothing reaches the application")
        .isFalse();
    assertThat(content.refCnt()).isZero();
    assertThat(last.refCnt()).isZero();
    assertThat(admission.refused).isEqualTo(1);
    assertThat(admission.admitted).isZero();
    assertThat(ch.finishAndReleaseAll()).isFalse();
  }

  @Tag("G7")
  @Test
  void requestAfterTheShutdownBeganIsRefused() {
    Counting admission = new Counting();
    admission.closing = true;
    EmbeddedChannel ch = new EmbeddedChannel(new Http1Drain(admission));
    FullHttpRequest req = get("/");
    assertThat(ch.writeInbound(req)).isFalse();
    assertThat(req.refCnt()).isZero();
    assertThat(admission.refused).isEqualTo(1);
    assertThat(ch.finishAndReleaseAll()).isFalse();
  }

  @Tag("G2")
  @Test
  void requestPipelinedBehindAResponseThatSaidCloseStopsCountingWithIt() {
    Counting admission = new Counting();
    EmbeddedChannel ch = new EmbeddedChannel(new Http1Drain(admission));
    ch.writeInbound(get("/a"), get("/b"));
    ReferenceCountUtil.release(ch.readInbound());
    ReferenceCountUtil.release(ch.readInbound());
    assertThat(admission.admitted).isEqualTo(2);

    ch.writeOutbound(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK));
    assertThat(admission.done)
        .as("/b gets no response on a connection that said close")
        .isEqualTo(2);
    assertThat(ch.finishAndReleaseAll()).isTrue();
  }

  @Tag("G2")
  @Test
  void requestWhoseResponseNeverComesStopsCountingWhenTheChannelCloses() {
    Counting admission = new Counting();
    EmbeddedChannel ch = new EmbeddedChannel(new Http1Drain(admission));
    ch.writeInbound(get("/"));
    ReferenceCountUtil.release(ch.readInbound());
    ch.close();
    assertThat(admission.done).isEqualTo(1);
    ch.finishAndReleaseAll();
  }
}
