package dev.graceful.tls;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import org.jspecify.annotations.Nullable;

/**
 * How a client checks that the server's certificate belongs to the server it meant to reach, and
 * which name it sends as SNI. Immutable: each method returns a new value.
 *
 * <p>{@link #defaults()} is what {@link TlsConnection#connect(InetSocketAddress,
 * javax.net.ssl.SSLContext, dev.graceful.core.LoopGroup, java.util.function.Consumer)} uses: the
 * JDK's endpoint identification {@code "HTTPS"} (RFC 2818, RFC 6125) against the host the client
 * connects to, and SNI (RFC 6066) with that host name. A host given as an IP address is verified
 * against the certificate's IP address entries, and no SNI is sent: "Literal IPv4 and IPv6
 * addresses are not permitted in 'HostName'" (RFC 6066 §3). The chain itself is checked by the
 * trust managers of the client's {@code SSLContext}, whatever this says.
 *
 * <p>The engine configurer a connect method takes cannot turn host name verification off: when it
 * leaves no endpoint identification algorithm, {@code "HTTPS"} is set after it. The only way to
 * skip the check is {@link #insecureSkipHostnameVerification()}.
 */
public final class HostnameVerification {
  private static final HostnameVerification DEFAULTS = new HostnameVerification(null, true);

  private final @Nullable String serverName; // null: the host the client connects to
  private final boolean verify;

  private HostnameVerification(@Nullable String serverName, boolean verify) {
    this.serverName = serverName;
    this.verify = verify;
  }

  /**
   * @return verification of the host the client connects to, with SNI from it unless it is an IP
   *     address
   */
  public static HostnameVerification defaults() {
    return DEFAULTS;
  }

  /**
   * <strong>Insecure:</strong> the server's certificate is not checked against any host name, so
   * any server holding a certificate the client's trust managers accept (from any public CA, when
   * they are the JDK's) can stand in for the intended one. The chain is still checked; SNI is still
   * sent. For tests and for peers whose names cannot be known in advance.
   *
   * @return no host name verification
   */
  public static HostnameVerification insecureSkipHostnameVerification() {
    return new HostnameVerification(null, false);
  }

  /**
   * Verifies against, and sends as SNI, {@code name} instead of the host the client connects to:
   * for a server reached by an address whose certificate names it otherwise (OpenSSL's {@code
   * -servername}, curl's {@code --connect-to}).
   *
   * @param name a DNS host name, or an IP address (then verified against IP address entries, no
   *     SNI)
   * @return this verification with that name
   * @throws IllegalArgumentException if {@code name} is not a valid SNI host name
   */
  public HostnameVerification serverName(String name) {
    Objects.requireNonNull(name, "name");
    if (!isIpAddress(name)) {
      new SNIHostName(name); // refuses what can be no host name, now rather than at connect
    }
    return new HostnameVerification(name, verify);
  }

  /**
   * @return the name set by {@link #serverName(String)}, or empty for the connect host
   */
  public Optional<String> serverName() {
    return Optional.ofNullable(serverName);
  }

  /**
   * @return false only for {@link #insecureSkipHostnameVerification()}
   */
  public boolean verifiesHostname() {
    return verify;
  }

  /**
   * @return the name the engine is created with, verified against and sent as SNI
   */
  String peerHost(InetSocketAddress address) {
    return serverName != null ? serverName : address.getHostString();
  }

  /**
   * Sets endpoint identification and SNI on a client engine created for {@code peerHost}, after the
   * user's configurer ran: a name or algorithm it set is kept, an absent one is filled in.
   */
  void applyTo(SSLEngine engine, String peerHost) {
    SSLParameters p = engine.getSSLParameters();
    String algorithm = p.getEndpointIdentificationAlgorithm();
    if (verify && (algorithm == null || algorithm.isEmpty())) {
      p.setEndpointIdentificationAlgorithm("HTTPS");
    }
    if ((p.getServerNames() == null || p.getServerNames().isEmpty()) && !isIpAddress(peerHost)) {
      p.setServerNames(List.of(new SNIHostName(peerHost)));
    }
    engine.setSSLParameters(p);
  }

  /**
   * Tells an IP address literal from a host name without asking DNS: a DNS name never contains a
   * colon (IPv6 does), and its last label is never all digits (RFC 3696 §2: "a top-level domain
   * name is not all-numeric"; dotted IPv4 ends in digits).
   *
   * @param host a host name or an address literal
   * @return true for an IPv4 or IPv6 literal
   */
  static boolean isIpAddress(String host) {
    if (host.indexOf(':') >= 0) {
      return true;
    }
    String last = host.substring(host.lastIndexOf('.') + 1);
    return !last.isEmpty() && last.chars().allMatch(c -> c >= '0' && c <= '9');
  }

  @Override
  public String toString() {
    if (!verify) {
      return "HostnameVerification[INSECURE: skipped"
          + (serverName == null ? "" : ", SNI " + serverName)
          + "]";
    }
    return "HostnameVerification[HTTPS against "
        + (serverName == null ? "the connect host" : serverName)
        + "]";
  }
}
