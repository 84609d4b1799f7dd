package dev.graceful.tls;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graceful.core.LoopGroup;
import dev.graceful.testkit.TestCerts;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

/**
 * Connecting fails at once, with a typed error, when it cannot even start: no I/O happens, the Mono
 * ends, and the selector loop is left as it was.
 */
class ConnectFailureTest {
  static final Duration AT_ONCE = Duration.ofSeconds(5);
  static LoopGroup loops;
  static TestCerts certs;

  @BeforeAll
  static void start() {
    loops = LoopGroup.create(1);
    certs = TestCerts.create();
  }

  @AfterAll
  static void stop() {
    loops.shutdown().block(AT_ONCE);
  }

  static InetSocketAddress unresolved() {
    return InetSocketAddress.createUnresolved("no-such-host.invalid", 443);
  }

  @Test
  void connectingToAnUnresolvedAddressFailsAtOnceAsAnUnknownHost() {
    StepVerifier.create(TlsConnection.connect(unresolved(), certs.client(), loops, engine -> {}))
        .expectErrorSatisfies(
            e ->
                assertThat(e)
                    .isInstanceOf(UnknownHostException.class)
                    .hasMessageContaining("no-such-host.invalid"))
        .verify(AT_ONCE);
  }

  @Test
  void connectingADatagramToAnUnresolvedAddressFailsAtOnceAsAnUnknownHost() throws Exception {
    SSLContext dtls = SSLContext.getInstance("DTLS");
    dtls.init(null, null, null);
    StepVerifier.create(
            TlsConnection.connectDatagram(
                unresolved(), dtls, loops, engine -> {}, Schedulers.parallel()))
        .expectErrorSatisfies(
            e ->
                assertThat(e)
                    .isInstanceOf(UnknownHostException.class)
                    .hasMessageContaining("no-such-host.invalid"))
        .verify(AT_ONCE);
  }
}
