package dev.graceful.netty;

import dev.graceful.core.LoopGroup;
import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.tls.TlsConnection;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import javax.net.ssl.SSLContext;
import reactor.core.publisher.Mono;

/**
 * An HTTP/1.1 keep-alive client over graceful's own TLS connection (test code): counts complete
 * responses, reads until the server's close_notify, then answers it.
 */
final class HttpsClient {
  final TlsConnection tls;
  private final StringBuilder in = new StringBuilder();
  private int parsed; // chars of `in` consumed by complete responses
  private int responses;
  private final java.util.List<String> heads = new java.util.ArrayList<>();
  private final CompletableFuture<Void> ended = new CompletableFuture<>();

  /** The answer to the server's close_notify, once it came. */
  final CompletableFuture<ShutdownResult> answered = new CompletableFuture<>();

  private HttpsClient(TlsConnection tls) {
    this.tls = tls;
  }

  static Mono<HttpsClient> connect(
      InetSocketAddress server, SSLContext ctx, LoopGroup loops, String tlsVersion) {
    return connect(server, ctx, loops, e -> e.setEnabledProtocols(new String[] {tlsVersion}));
  }

  /**
   * @param configure adjusts the client's engine before the handshake (protocols, SNI)
   */
  static Mono<HttpsClient> connect(
      InetSocketAddress server,
      SSLContext ctx,
      LoopGroup loops,
      java.util.function.Consumer<javax.net.ssl.SSLEngine> configure) {
    return TlsConnection.connect(server, ctx, loops, configure).map(HttpsClient::new);
  }

  /** Reads until the server's close_notify, then answers it: the cooperative client. */
  HttpsClient readUntilServerCloses() {
    tls.receive()
        .subscribe(
            this::received,
            ended::completeExceptionally,
            () -> {
              ended.complete(null);
              tls.shutdown(ShutdownSpec.bidirectional().timeout(Duration.ofSeconds(10)))
                  .subscribe(answered::complete, answered::completeExceptionally);
            });
    return this;
  }

  /**
   * Reads until its first response is whole, then reads nothing more: the server's close_notify
   * stays unread and unanswered (the silent client, once its exchange is done).
   */
  HttpsClient readOneResponseThenGoDeaf() {
    reactor.core.Disposable[] reading = new reactor.core.Disposable[1];
    reading[0] =
        tls.receive()
            .subscribe(
                b -> {
                  received(b);
                  if (responses() >= 1 && reading[0] != null) {
                    reading[0].dispose();
                  }
                });
    return this;
  }

  Mono<Void> get(String path) {
    String req = "GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive\r\n\r\n";
    return tls.send(ByteBuffer.wrap(req.getBytes(StandardCharsets.US_ASCII)));
  }

  private synchronized void received(ByteBuffer b) {
    in.append(StandardCharsets.ISO_8859_1.decode(b));
    for (; ; ) {
      int head = in.indexOf("\r\n\r\n", parsed);
      if (head < 0) {
        return;
      }
      String headers = in.substring(parsed, head).toLowerCase(Locale.ROOT);
      int at = headers.indexOf("content-length:");
      int length =
          at < 0
              ? 0
              : Integer.parseInt(
                  headers
                      .substring(
                          at + 15,
                          headers.indexOf("\r\n", at) < 0
                              ? headers.length()
                              : headers.indexOf("\r\n", at))
                      .trim());
      if (in.length() < head + 4 + length) {
        return;
      }
      heads.add(headers);
      parsed = head + 4 + length;
      responses++;
      notifyAll();
    }
  }

  /**
   * @return the heads (status line and headers, lower case) of the complete responses so far
   */
  synchronized java.util.List<String> heads() {
    return java.util.List.copyOf(heads);
  }

  /**
   * @return complete responses so far
   */
  synchronized int responses() {
    return responses;
  }

  /** Waits (on a monitor, with a deadline) until {@code n} responses are complete. */
  synchronized void awaitResponses(int n, Duration max) throws InterruptedException {
    long deadline = System.nanoTime() + max.toNanos();
    while (responses < n) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new AssertionError("only " + responses + " of " + n + " responses");
      }
      wait(Math.max(1, left / 1_000_000));
    }
  }

  /**
   * @return completes when the server's close_notify ended the stream; fails on truncation
   */
  CompletableFuture<Void> ended() {
    return ended;
  }
}
