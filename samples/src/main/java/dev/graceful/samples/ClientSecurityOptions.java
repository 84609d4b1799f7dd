package dev.graceful.samples;

import dev.graceful.tls.HostnameVerification;
import java.io.IOException;
import java.io.PrintStream;
import java.io.Reader;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMParser;
import picocli.CommandLine.Option;

/**
 * How a client command verifies its server and who it is (S1): it verifies by default, against the
 * JDK's trust anchors or {@code --cacert}'s, for the host connected to or {@code --servername};
 * {@code --insecure} is the only way to skip verification, and says so on stderr.
 */
final class ClientSecurityOptions {
  @Option(
      names = "--cacert",
      paramLabel = "FILE",
      description = "PEM certificates to trust instead of the JDK's anchors")
  Path cacert;

  @Option(
      names = "--servername",
      paramLabel = "NAME",
      description = "name to verify and send as SNI (default: the host connected to)")
  String servername;

  @Option(
      names = "--cert",
      paramLabel = "FILE",
      description = "PEM client certificate (chain), with --key")
  Path cert;

  @Option(
      names = "--key",
      paramLabel = "FILE",
      description = "PEM private key of --cert, unencrypted")
  Path key;

  @Option(
      names = "--insecure",
      description = "do not verify the server's certificate or name (prints a warning)")
  boolean insecure;

  /** Refuses contradictory options before any I/O (exit 2). */
  void validate() {
    if ((cert == null) != (key == null)) {
      throw new IllegalArgumentException("--cert and --key go together");
    }
    if (insecure && cacert != null) {
      throw new IllegalArgumentException(
          "--insecure and --cacert contradict each other: trust nothing in particular, or these anchors");
    }
    if (servername != null) {
      try {
        HostnameVerification.defaults().serverName(servername);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("--servername '" + servername + "' is not a host name");
      }
    }
  }

  /** With {@code --insecure}: the one-line warning, on stderr (stdout is for JSON). */
  void warnIfInsecure(PrintStream err) {
    if (insecure) {
      err.println(
          "graceful: WARNING: --insecure: the server's certificate and host name are not verified");
    }
  }

  /**
   * @return the TLS or DTLS client context: trust and, with --cert, identity
   */
  SSLContext context(String protocol) throws GeneralSecurityException {
    SSLContext ctx = SSLContext.getInstance(protocol);
    ctx.init(keyManagers(), new TrustManager[] {trustManager()}, new SecureRandom());
    return ctx;
  }

  /**
   * @return the host name check for the TLS and DTLS commands
   */
  HostnameVerification hostnameVerification() {
    HostnameVerification v =
        insecure
            ? HostnameVerification.insecureSkipHostnameVerification()
            : HostnameVerification.defaults();
    return servername != null ? v.serverName(servername) : v;
  }

  /**
   * @return what checks the server's chain: --cacert's anchors, the JDK's, or nothing (--insecure)
   */
  X509TrustManager trustManager() throws GeneralSecurityException {
    if (insecure) {
      return new TrustingEverything();
    }
    TrustManagerFactory f =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    f.init(cacert == null ? null : anchors(cacert));
    for (TrustManager t : f.getTrustManagers()) {
      if (t instanceof X509TrustManager x) {
        return x;
      }
    }
    throw new GeneralSecurityException("the JDK offers no X.509 trust manager");
  }

  /**
   * @return the client's key and chain from --cert and --key, or null
   */
  KeyStore identity() throws GeneralSecurityException {
    return cert == null ? null : TlsContexts.keyStore(cert, key, "--cert", "--key");
  }

  private KeyManager[] keyManagers() throws GeneralSecurityException {
    KeyStore id = identity();
    if (id == null) {
      return null;
    }
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(id, TlsContexts.password());
    return kmf.getKeyManagers();
  }

  /**
   * @return the client certificate of {@link #identity()}
   */
  static X509Certificate certificate(KeyStore id) throws GeneralSecurityException {
    return (X509Certificate) id.getCertificate(TlsContexts.ALIAS);
  }

  /**
   * @return the private key of {@link #identity()}
   */
  static PrivateKey privateKey(KeyStore id) throws GeneralSecurityException {
    return (PrivateKey) id.getKey(TlsContexts.ALIAS, TlsContexts.password());
  }

  /** Every certificate of a PEM file, as trust anchors. */
  private static KeyStore anchors(Path file) throws GeneralSecurityException {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    JcaX509CertificateConverter converter = new JcaX509CertificateConverter();
    int n = 0;
    try (Reader r = Files.newBufferedReader(file, StandardCharsets.US_ASCII);
        PEMParser pem = new PEMParser(r)) {
      ks.load(null, null);
      Object o;
      while ((o = pem.readObject()) != null) {
        if (o instanceof X509CertificateHolder h) {
          ks.setCertificateEntry("anchor-" + n++, converter.getCertificate(h));
        }
      }
    } catch (IOException e) {
      throw SetupException.unreadable("--cacert", file, e);
    }
    if (n == 0) {
      throw new SetupException("--cacert " + file + ": no PEM certificate in it");
    }
    return ks;
  }

  /** --insecure: accepts any server certificate. For loopback tests and demos only. */
  static final class TrustingEverything extends X509ExtendedTrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType)
        throws CertificateException {
      throw new CertificateException("a client does not check clients");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      throw new CertificateException("a client does not check clients");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {}

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      throw new CertificateException("a client does not check clients");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }
}
