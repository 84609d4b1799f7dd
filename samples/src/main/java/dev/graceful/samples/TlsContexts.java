package dev.graceful.samples;

import dev.graceful.testkit.SelfSignedCertificate;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

/** SSL contexts for the commands: PEM files read with BouncyCastle, or a generated certificate. */
final class TlsContexts {
  private static final char[] PASSWORD = "graceful".toCharArray();

  private TlsContexts() {}

  /**
   * A server context from PEM files, or from a fresh self-signed certificate when both are null.
   */
  static SSLContext server(Path certFile, Path keyFile, String protocol)
      throws GeneralSecurityException {
    if (certFile == null && keyFile == null) {
      return SelfSignedCertificate.generate().serverContext(protocol);
    }
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(keyStore(certFile, keyFile), PASSWORD);
    SSLContext ctx = SSLContext.getInstance(protocol);
    ctx.init(kmf.getKeyManagers(), null, new SecureRandom());
    return ctx;
  }

  /** The alias of the server's key in {@link #keyStore(Path, Path)}. */
  static final String ALIAS = "server";

  /**
   * @return the password of {@link #keyStore(Path, Path)}
   */
  static char[] password() {
    return PASSWORD.clone();
  }

  /**
   * A key store holding the server's key and chain under {@link #ALIAS}: from PEM files, or a fresh
   * self-signed certificate when both are null.
   */
  static KeyStore keyStore(Path certFile, Path keyFile) throws GeneralSecurityException {
    if (certFile == null && keyFile == null) {
      SelfSignedCertificate c = SelfSignedCertificate.generate();
      KeyStore ks = emptyStore();
      ks.setKeyEntry(
          ALIAS, c.keys().getPrivate(), PASSWORD, new X509Certificate[] {c.certificate()});
      return ks;
    }
    return keyStore(certFile, keyFile, "--cert", "--key");
  }

  /**
   * A key store holding a key and its chain under {@link #ALIAS}, read from PEM files; a file that
   * is missing, a directory, unreadable or holds no certificate or key is a {@link SetupException}
   * naming its option.
   */
  static KeyStore keyStore(Path certFile, Path keyFile, String certOption, String keyOption)
      throws GeneralSecurityException {
    if (certFile == null || keyFile == null) {
      throw new IllegalArgumentException(certOption + " and " + keyOption + " go together");
    }
    List<X509Certificate> chain = new ArrayList<>();
    PrivateKey key = null;
    JcaX509CertificateConverter certs = new JcaX509CertificateConverter();
    JcaPEMKeyConverter keys = new JcaPEMKeyConverter();
    for (Path file : List.of(certFile, keyFile)) {
      String option = file == certFile ? certOption : keyOption;
      try (Reader r = Files.newBufferedReader(file, StandardCharsets.US_ASCII);
          PEMParser pem = new PEMParser(r)) {
        Object o;
        while ((o = pem.readObject()) != null) {
          if (o instanceof X509CertificateHolder h) {
            chain.add(certs.getCertificate(h));
          } else if (o instanceof PEMKeyPair kp) {
            key = keys.getPrivateKey(kp.getPrivateKeyInfo());
          } else if (o instanceof PrivateKeyInfo pki) {
            key = keys.getPrivateKey(pki);
          }
        }
      } catch (IOException e) {
        throw SetupException.unreadable(option, file, e);
      } catch (GeneralSecurityException e) {
        throw new SetupException(option + " " + file + ": " + e.getMessage(), e);
      }
    }
    if (chain.isEmpty()) {
      throw new SetupException(certOption + " " + certFile + ": no PEM certificate in it");
    }
    if (key == null) {
      throw new SetupException(
          keyOption + " " + keyFile + ": no unencrypted PEM private key in it");
    }
    KeyStore ks = emptyStore();
    ks.setKeyEntry(ALIAS, key, PASSWORD, chain.toArray(X509Certificate[]::new));
    return ks;
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
