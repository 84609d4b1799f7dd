package dev.graceful.netty;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graceful.testkit.TestCerts;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import javax.net.ssl.SSLException;

/**
 * The two SSLEngines Netty's SslHandler can drive in these tests: the JDK's and BoringSSL. Test
 * code.
 */
final class NettyEngines {
  private NettyEngines() {}

  /**
   * @param alpn the application protocols offered by ALPN, most preferred first (none: no ALPN)
   * @return a server context (TLS 1.3 and 1.2) on {@code provider}'s engine, checked to be that
   *     engine's: a silent fallback to the JDK's would test it twice
   */
  static SslContext serverContext(SslProvider provider, TestCerts certs, String... alpn)
      throws SSLException {
    SslContextBuilder b =
        SslContextBuilder.forServer(certs.cert().keys().getPrivate(), certs.cert().certificate())
            .sslProvider(provider)
            .protocols("TLSv1.3", "TLSv1.2");
    if (alpn.length > 0) {
      b.applicationProtocolConfig(
          new ApplicationProtocolConfig(
              ApplicationProtocolConfig.Protocol.ALPN,
              ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
              ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
              alpn));
    }
    SslContext ctx = b.build();
    assertThat(ctx.getClass().getSimpleName())
        .startsWith(provider == SslProvider.JDK ? "Jdk" : "OpenSsl");
    return ctx;
  }

  /** Fails (never skips) the calling class when netty-tcnative's BoringSSL cannot load. */
  static void requireBoringSsl() {
    OpenSsl.ensureAvailability();
    assertThat(OpenSsl.versionString()).contains("BoringSSL");
  }
}
