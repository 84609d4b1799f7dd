package dev.graceful.netty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graceful.netty.internal.PeerClosingWatch;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.ssl.SslCloseCompletionEvent;
import io.netty.handler.ssl.SslClosedEngineException;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.netty.Connection;
import reactor.test.StepVerifier;

/** GracefulClient's eviction predicate and retry, without a network. */
@Tag("G9")
class GracefulClientTest {
  @Test
  void evictsAConnectionOnceItsPeerSentCloseNotify() {
    EmbeddedChannel ch = new EmbeddedChannel(new PeerClosingWatch());
    Connection c = Connection.from(ch);
    assertThat(GracefulClient.evictionPredicate().test(c, null)).isFalse();
    assertThat(GracefulClient.isClosing(c)).isFalse();
    ch.pipeline().fireUserEventTriggered(SslCloseCompletionEvent.SUCCESS);
    assertThat(GracefulClient.evictionPredicate().test(c, null)).isTrue();
    assertThat(GracefulClient.isClosing(c)).isTrue();
    ch.finishAndReleaseAll();
  }

  @Test
  void retriesARequestWrittenOntoAClosedTlsConnection() {
    AtomicInteger attempts = new AtomicInteger();
    Mono<String> request =
        Mono.defer(
            () ->
                attempts.incrementAndGet() == 1
                    ? Mono.error(new SslClosedEngineException("closed"))
                    : Mono.just("ok"));
    StepVerifier.create(request.retryWhen(GracefulClient.retryUnanswered(1)))
        .expectNext("ok")
        .expectComplete()
        .verify(Duration.ofSeconds(5));
    assertThat(attempts).hasValue(2);
  }

  @Test
  void doesNotRetryOtherErrors() {
    AtomicInteger attempts = new AtomicInteger();
    Mono<String> request =
        Mono.defer(() -> Mono.error(new IOException("reset " + attempts.incrementAndGet())));
    StepVerifier.create(request.retryWhen(GracefulClient.retryUnanswered(3)))
        .expectError(IOException.class)
        .verify(Duration.ofSeconds(5));
    assertThat(attempts).hasValue(1);
    assertThat(
            GracefulClient.unanswered(
                reactor.netty.http.client.PrematureCloseException.TEST_EXCEPTION))
        .isFalse();
  }

  // G9: a connection refused (the old server stopped listening before the client picked the new
  // one) sent nothing of the request: it is retried.
  @Test
  void aRefusedConnectionIsRetried() {
    AtomicInteger attempts = new AtomicInteger();
    Mono<String> request =
        Mono.defer(
            () ->
                attempts.incrementAndGet() == 1
                    ? Mono.error(new java.net.ConnectException("Connection refused"))
                    : Mono.just("ok"));
    StepVerifier.create(request.retryWhen(GracefulClient.retryUnanswered(3)))
        .expectNext("ok")
        .expectComplete()
        .verify(Duration.ofSeconds(5));
    assertThat(attempts).hasValue(2);
  }

  @Test
  void badArgumentsAreRefused() {
    assertThatThrownBy(() -> GracefulClient.retryUnanswered(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("maxRetries");
    assertThatThrownBy(() -> GracefulClient.install(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("client");
    assertThatThrownBy(() -> GracefulClient.isClosing(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("connection");
  }
}
