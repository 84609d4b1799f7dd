package dev.graceful.samples.examples;

import dev.graceful.core.LoopGroup;
import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.tls.TlsConnection;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import reactor.core.scheduler.Schedulers;

/**
 * A DTLS 1.2 client: over datagrams a close_notify can be lost, so the wait for the peer's has a
 * deadline.
 */
public final class DtlsClientExample {
  private DtlsClientExample() {}

  /**
   * Connects over UDP, sends one message and shuts the connection down.
   *
   * @param server the DTLS server
   * @param context a {@code "DTLS"} client context
   * @param loops the loops
   * @param message the message
   * @return how the shutdown ended
   */
  public static ShutdownResult sendThenClose(
      InetSocketAddress server, SSLContext context, LoopGroup loops, byte[] message) {
    // tag::dtls-client[]
    TlsConnection conn =
        TlsConnection.connectDatagram(server, context, loops, engine -> {}, Schedulers.parallel())
            .block();
    conn.send(ByteBuffer.wrap(message)).block();

    ShutdownSpec policy =
        ShutdownSpec.bidirectional()
            .timeout(Duration.ofSeconds(2)) // required over DTLS: the peer's answer can be lost
            .settleAtDeadline() // no answer by then: SENT with deadlineReached, not a TIMEOUT error
            .discardUnread(); // datagrams arriving meanwhile are dropped
    ShutdownResult result = conn.shutdown(policy).block();
    conn.release().block();
    // end::dtls-client[]
    return result;
  }
}
