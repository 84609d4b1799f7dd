package dev.graceful.testkit;

import java.io.IOException;
import java.io.Writer;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.IPAddress;
import org.bouncycastle.util.io.pem.PemObject;

/**
 * A self-signed EC P-256 certificate for {@code localhost} and {@code 127.0.0.1}, or for names of
 * the caller's choosing, generated in process with BouncyCastle (an optional dependency). For
 * loopback servers, tests and demos.
 */
public final class SelfSignedCertificate {
  private static final char[] PASSWORD = "graceful".toCharArray();

  private final KeyPair keys;
  private final X509Certificate certificate;

  private SelfSignedCertificate(KeyPair keys, X509Certificate certificate) {
    this.keys = keys;
    this.certificate = certificate;
  }

  /**
   * @return a new certificate for {@code localhost} and {@code 127.0.0.1}, valid from an hour ago
   *     for a year
   * @throws GeneralSecurityException if the JDK lacks EC or SHA256withECDSA
   */
  public static SelfSignedCertificate generate() throws GeneralSecurityException {
    return generate(List.of("localhost", "127.0.0.1"));
  }

  /**
   * A certificate for exactly these names: each is a subject alternative name, an IP address entry
   * for an IPv4 or IPv6 literal, else a DNS name entry; the first is also the subject's common
   * name. Clients that verify host names (the default) accept it only for these names.
   *
   * @param names DNS names and IP address literals, at least one
   * @return a new certificate valid from an hour ago for a year
   * @throws GeneralSecurityException if the JDK lacks EC or SHA256withECDSA
   * @throws IllegalArgumentException if {@code names} is empty
   */
  public static SelfSignedCertificate generate(List<String> names) throws GeneralSecurityException {
    if (names.isEmpty()) {
      throw new IllegalArgumentException("a certificate needs at least one name");
    }
    GeneralName[] alternatives = new GeneralName[names.size()];
    for (int i = 0; i < alternatives.length; i++) {
      String n = names.get(i);
      alternatives[i] =
          new GeneralName(IPAddress.isValid(n) ? GeneralName.iPAddress : GeneralName.dNSName, n);
    }
    KeyPairGenerator gen = KeyPairGenerator.getInstance("EC");
    gen.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom());
    KeyPair keys = gen.generateKeyPair();
    X500Name name = new X500NameBuilder().addRDN(BCStyle.CN, names.get(0)).build();
    Instant now = Instant.now();
    JcaX509v3CertificateBuilder builder =
        new JcaX509v3CertificateBuilder(
            name,
            new BigInteger(64, new SecureRandom()),
            Date.from(now.minus(Duration.ofHours(1))),
            Date.from(now.plus(Duration.ofDays(365))),
            name,
            keys.getPublic());
    try {
      builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(alternatives));
      X509Certificate cert =
          new JcaX509CertificateConverter()
              .getCertificate(
                  builder.build(
                      new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate())));
      return new SelfSignedCertificate(keys, cert);
    } catch (IOException | OperatorCreationException e) {
      throw new GeneralSecurityException("cannot build a self-signed certificate", e);
    }
  }

  /**
   * @return the certificate
   */
  public X509Certificate certificate() {
    return certificate;
  }

  /**
   * @return the key pair
   */
  public KeyPair keys() {
    return keys;
  }

  /**
   * @return a server context presenting this certificate (TLS 1.2 and 1.3 enabled)
   * @throws GeneralSecurityException on a JDK without TLS
   */
  public SSLContext serverContext() throws GeneralSecurityException {
    return serverContext("TLS");
  }

  /**
   * @param protocol {@code "TLS"} or {@code "DTLS"}
   * @return a server context of that protocol presenting this certificate
   * @throws GeneralSecurityException if the JDK lacks the protocol
   */
  public SSLContext serverContext(String protocol) throws GeneralSecurityException {
    KeyStore ks = emptyStore();
    ks.setKeyEntry("server", keys.getPrivate(), PASSWORD, new X509Certificate[] {certificate});
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(ks, PASSWORD);
    SSLContext ctx = SSLContext.getInstance(protocol);
    ctx.init(kmf.getKeyManagers(), null, new SecureRandom());
    return ctx;
  }

  /**
   * @return a client context that trusts exactly this certificate
   * @throws GeneralSecurityException on a JDK without TLS
   */
  public SSLContext trustingClientContext() throws GeneralSecurityException {
    return trustingClientContext("TLS");
  }

  /**
   * @param protocol {@code "TLS"} or {@code "DTLS"}
   * @return a client context of that protocol trusting exactly this certificate
   * @throws GeneralSecurityException if the JDK lacks the protocol
   */
  public SSLContext trustingClientContext(String protocol) throws GeneralSecurityException {
    KeyStore ks = emptyStore();
    ks.setCertificateEntry("server", certificate);
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ks);
    SSLContext ctx = SSLContext.getInstance(protocol);
    ctx.init(null, tmf.getTrustManagers(), new SecureRandom());
    return ctx;
  }

  /**
   * Writes the certificate and the private key as PEM, e.g. for {@code openssl s_server}.
   *
   * @param certFile where the certificate goes
   * @param keyFile where the key goes
   * @throws IOException if writing fails
   */
  public void writePem(Path certFile, Path keyFile) throws IOException {
    write(certFile, certificate);
    // PKCS#8 ("BEGIN PRIVATE KEY"): the form every OpenSSL 3 build reads. The JDK encodes an EC
    // key without its curve and public point inside; GnuTLS (ngtcp2's gtlsserver) refuses that, so
    // an EC key is written in the complete RFC 5915 form.
    if (keys.getPrivate() instanceof java.security.interfaces.ECPrivateKey ec) {
      SubjectPublicKeyInfo pub = SubjectPublicKeyInfo.getInstance(keys.getPublic().getEncoded());
      ASN1Encodable curve = pub.getAlgorithm().getParameters();
      org.bouncycastle.asn1.sec.ECPrivateKey full =
          new org.bouncycastle.asn1.sec.ECPrivateKey(
              ec.getParams().getOrder().bitLength(), ec.getS(), pub.getPublicKeyData(), curve);
      PrivateKeyInfo info = new PrivateKeyInfo(pub.getAlgorithm(), full);
      write(keyFile, new PemObject("PRIVATE KEY", info.getEncoded()));
    } else {
      write(keyFile, new JcaPKCS8Generator(keys.getPrivate(), null));
    }
  }

  private static void write(Path file, Object pemObject) throws IOException {
    try (Writer w = Files.newBufferedWriter(file, StandardCharsets.US_ASCII);
        JcaPEMWriter pem = new JcaPEMWriter(w)) {
      pem.writeObject(pemObject);
    }
  }

  private static KeyStore emptyStore() throws GeneralSecurityException {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try {
      ks.load(null, null);
    } catch (IOException e) {
      throw new GeneralSecurityException(e);
    }
    return ks;
  }
}
