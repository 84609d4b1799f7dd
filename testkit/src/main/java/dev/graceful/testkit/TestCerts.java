package dev.graceful.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import javax.net.ssl.SSLContext;

/** A generated certificate, its PEM files for openssl, and contexts for graceful. */
public record TestCerts(SelfSignedCertificate cert, Path certFile, Path keyFile) {
  /** A certificate for {@code localhost} and {@code 127.0.0.1}. */
  public static TestCerts create() {
    return forNames("localhost", "127.0.0.1");
  }

  /**
   * A certificate for exactly these names (DNS names and IP literals as subject alternative names),
   * e.g. one for another host, which a verifying client must refuse.
   */
  public static TestCerts forNames(String... names) {
    try {
      Path dir = Files.createTempDirectory("graceful-certs");
      dir.toFile().deleteOnExit();
      SelfSignedCertificate c = SelfSignedCertificate.generate(java.util.List.of(names));
      Path cert = dir.resolve("cert.pem");
      Path key = dir.resolve("key.pem");
      c.writePem(cert, key);
      cert.toFile().deleteOnExit();
      key.toFile().deleteOnExit();
      return new TestCerts(c, cert, key);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  public SSLContext server() {
    try {
      return cert.serverContext();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  public SSLContext dtlsServer() {
    try {
      return cert.serverContext("DTLS");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  public SSLContext dtlsClient() {
    try {
      return cert.trustingClientContext("DTLS");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  public SSLContext client() {
    try {
      return cert.trustingClientContext();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
