package dev.graceful.netty;

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
    NettyEngines.requireBoringSsl();
  }

  @Override
  SslProvider provider() {
    return SslProvider.OPENSSL;
  }
}
