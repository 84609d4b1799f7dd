package dev.graceful.spring.sample;

import dev.graceful.testkit.SelfSignedCertificate;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.reactor.netty.NettyServerCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import reactor.netty.http.Http2SslContextSpec;
import reactor.netty.http.HttpProtocol;
import reactor.netty.tcp.SslProvider;

/**
 * With {@code --sample.tls=true}: TLS (HTTP/1.1 and HTTP/2 by ALPN) with a self-signed certificate
 * for {@code localhost} and {@code 127.0.0.1}, generated at start (BouncyCastle) into a temporary
 * directory.
 *
 * <p>Set on the server with a customizer because the certificate only exists once the application
 * runs. TLS from Boot's own {@code server.ssl.*} (a key store, or an SSL bundle) is ended the same
 * way: the starter tracks its connections as TLS.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnBooleanProperty("sample.tls")
public class SelfSignedTls {
  private static final Logger log = LoggerFactory.getLogger(SelfSignedTls.class);

  @Bean
  NettyServerCustomizer selfSignedTlsCustomizer() throws IOException, GeneralSecurityException {
    Path dir = Files.createTempDirectory("graceful-sample-tls");
    Path cert = dir.resolve("cert.pem");
    Path key = dir.resolve("key.pem");
    SelfSignedCertificate.generate(List.of("localhost", "127.0.0.1")).writePem(cert, key);
    cert.toFile().deleteOnExit();
    key.toFile().deleteOnExit();
    dir.toFile().deleteOnExit();
    log.info("TLS with a self-signed certificate for localhost and 127.0.0.1: {}", cert);
    SslProvider.GenericSslContextSpec<?> spec =
        Http2SslContextSpec.forServer(cert.toFile(), key.toFile());
    return server ->
        server.secure(ssl -> ssl.sslContext(spec)).protocol(HttpProtocol.HTTP11, HttpProtocol.H2);
  }
}
