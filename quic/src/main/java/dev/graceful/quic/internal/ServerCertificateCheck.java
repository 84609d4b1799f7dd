package dev.graceful.quic.internal;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;
import org.jspecify.annotations.Nullable;

/**
 * The trust manager a graceful QUIC client hands Kwik: the server's chain checked by the caller's
 * trust manager, then its host name by the JDK's own endpoint identification ({@code "HTTPS"}: DNS
 * names with RFC 6125's wildcard rules, IP address entries for an address), the same check a JDK
 * {@code SSLEngine} client makes. One per connection: it remembers why it refused, so that the
 * connect can fail with that reason rather than Kwik's.
 */
public final class ServerCertificateCheck implements X509TrustManager {
  /** TLS 1.3, QUIC's only version, authenticates by signature: the JDK's TLS 1.3 client says so. */
  private static final String TLS13_AUTH_TYPE = "UNKNOWN";

  private final X509TrustManager chain;
  private final String peerHost;
  private final boolean verifyHostname;
  private volatile @Nullable CertificateException refusal;

  /**
   * @param chain checks the chain up to a trust anchor
   * @param peerHost the name (or IP address literal) the certificate must be for
   * @param verifyHostname false only for an explicit, insecure opt-out
   */
  public ServerCertificateCheck(X509TrustManager chain, String peerHost, boolean verifyHostname) {
    this.chain = chain;
    this.peerHost = peerHost;
    this.verifyHostname = verifyHostname;
  }

  /**
   * @return the JDK's default trust manager (the {@code cacerts} anchors, or those of {@code
   *     javax.net.ssl.trustStore})
   * @throws GeneralSecurityException if the JDK has none
   */
  public static X509TrustManager jdkDefault() throws GeneralSecurityException {
    return pkix(null);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] certificates, String authType)
      throws CertificateException {
    try {
      if (certificates == null || certificates.length == 0) {
        throw new CertificateException("the server sent no certificate");
      }
      chain.checkServerTrusted(certificates, TLS13_AUTH_TYPE);
      if (verifyHostname) {
        checkHostname(certificates[0]);
      }
    } catch (CertificateException e) {
      refusal = e;
      throw e;
    }
  }

  /**
   * The JDK checks identity only for a chain it validates with an {@code SSLEngine} or socket at
   * hand: here the leaf alone is the trust anchor (the chain was checked above), and the engine is
   * {@link IdentityProbe}, which carries the name and the algorithm.
   */
  private void checkHostname(X509Certificate leaf) throws CertificateException {
    X509ExtendedTrustManager leafOnly;
    try {
      KeyStore anchors = KeyStore.getInstance(KeyStore.getDefaultType());
      anchors.load(null, null);
      anchors.setCertificateEntry("server", leaf);
      leafOnly = (X509ExtendedTrustManager) pkix(anchors);
    } catch (GeneralSecurityException | IOException | ClassCastException e) {
      throw new CertificateException("cannot check the host name: " + e, e);
    }
    leafOnly.checkServerTrusted(
        new X509Certificate[] {leaf}, TLS13_AUTH_TYPE, new IdentityProbe(peerHost));
  }

  private static X509TrustManager pkix(@Nullable KeyStore anchors) throws GeneralSecurityException {
    TrustManagerFactory f =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    f.init(anchors);
    for (TrustManager t : f.getTrustManagers()) {
      if (t instanceof X509TrustManager x) {
        return x;
      }
    }
    throw new GeneralSecurityException("the JDK offers no X.509 trust manager");
  }

  /**
   * @param kwikFailure what Kwik's connect threw
   * @return an {@link SSLHandshakeException} naming this check's refusal (message kept, the JDK's
   *     exception as cause, Kwik's suppressed), or null when this check refused nothing
   */
  public @Nullable SSLHandshakeException refusal(@Nullable Throwable kwikFailure) {
    CertificateException e = refusal;
    if (e == null) {
      return null;
    }
    SSLHandshakeException h = new SSLHandshakeException(String.valueOf(e.getMessage()));
    h.initCause(e);
    if (kwikFailure != null) {
      h.addSuppressed(kwikFailure);
    }
    return h;
  }

  @Override
  public void checkClientTrusted(X509Certificate[] certificates, String authType)
      throws CertificateException {
    throw new CertificateException("a client's trust manager does not check clients");
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return chain.getAcceptedIssuers();
  }
}
