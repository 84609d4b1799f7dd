package dev.graceful.samples.examples;

import dev.graceful.core.LoopGroup;
import dev.graceful.core.ShutdownException;
import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.tls.TlsConnection;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import reactor.core.Exceptions;

/**
 * A TLS client that sends a request, then ends the connection with a bidirectional close_notify
 * exchange, collecting the response that arrives meanwhile.
 */
public final class TlsClientExample {
  private TlsClientExample() {}

  /**
   * A client context that trusts the certificates in one PEM file (a private CA, or a server's
   * self-signed certificate) and nothing else.
   *
   * @param caPem the trusted certificates, PEM
   * @param protocol {@code "TLS"}, or {@code "DTLS"} for a datagram connection
   * @return the context
   * @throws IOException if the file cannot be read
   * @throws GeneralSecurityException if it holds no valid certificate
   */
  public static SSLContext trusting(Path caPem, String protocol)
      throws IOException, GeneralSecurityException {
    // tag::tls-trust[]
    KeyStore trusted = KeyStore.getInstance("PKCS12");
    trusted.load(null, null);
    try (InputStream in = Files.newInputStream(caPem)) {
      trusted.setCertificateEntry(
          "ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trusted);
    SSLContext context = SSLContext.getInstance(protocol); // "TLS" or "DTLS"
    context.init(null, tmf.getTrustManagers(), null);
    // end::tls-trust[]
    return context;
  }

  /**
   * Connects to {@code server}, sends {@code request}, and shuts the connection down.
   *
   * @param server where to connect; its host name is the one the certificate must name
   * @param context the client context (see {@link #trusting(Path, String)})
   * @param request the bytes to send
   * @param response receives what the server sends before its close_notify
   * @return how the shutdown ended
   * @throws ShutdownException if it did not end cleanly ({@link ShutdownException#reason()} says
   *     why)
   */
  public static ShutdownResult requestThenClose(
      InetSocketAddress server, SSLContext context, byte[] request, ByteArrayOutputStream response)
      throws ShutdownException {
    // tag::tls-client[]
    LoopGroup loops = LoopGroup.create(1); // one selector thread; share it across connections
    try {
      TlsConnection conn = TlsConnection.connect(server, context, loops, engine -> {}).block();
      conn.send(ByteBuffer.wrap(request)).block();

      ShutdownSpec policy =
          ShutdownSpec.bidirectional() // send close_notify, then wait for the peer's
              .timeout(Duration.ofSeconds(5)) // ...for at most 5 s
              .readInto(
                  buf -> response.writeBytes(bytesOf(buf))); // data arriving meanwhile is yours
      try {
        return conn.shutdown(policy).block(); // a cold Mono: nothing happens before this
      } finally {
        conn.release().block(); // closes the socket
      }
    } catch (RuntimeException e) {
      if (Exceptions.unwrap(e) instanceof ShutdownException failed) {
        throw failed; // failed.reason(): TRUNCATED, TIMEOUT, PROTOCOL, ...
      }
      throw e;
    } finally {
      loops.shutdown().block();
    }
    // end::tls-client[]
  }

  private static byte[] bytesOf(ByteBuffer buf) {
    byte[] b = new byte[buf.remaining()];
    buf.get(b);
    return b;
  }
}
