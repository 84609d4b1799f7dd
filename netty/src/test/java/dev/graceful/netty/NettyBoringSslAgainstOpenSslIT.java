package dev.graceful.netty;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslProvider;
import org.junit.jupiter.api.BeforeAll;

/**
 * Every test of {@link NettyAgainstOpenSslIT} again, with Netty's OpenSSL engine (BoringSSL from
 * netty-tcnative) under the SslHandler instead of the JDK's, as reactor-netty applications often
 * run: the same close_notify exchanges, states and reports, whichever engine Netty drives.
 */
class NettyBoringSslAgainstOpenSslIT extends NettyAgainstOpenSslIT {
  @BeforeAll
  static void openSslLoads() {
    OpenSsl.ensureAvailability(); // fails the class, not skips it, when the engine cannot load
    assertThat(OpenSsl.versionString()).contains("BoringSSL");
  }

  @Override
  SslProvider provider() {
    return SslProvider.OPENSSL;
  }
}
