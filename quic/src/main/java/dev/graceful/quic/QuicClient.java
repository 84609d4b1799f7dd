package dev.graceful.quic;

import dev.graceful.core.CloseInfo;
import dev.graceful.core.LoopGroup;
import dev.graceful.quic.internal.HandshakeClose;
import dev.graceful.quic.internal.KwikInternals;
import dev.graceful.quic.internal.ServerCertificateCheck;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.X509TrustManager;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;
import tech.kwik.core.QuicClientConnection;

/**
 * Connects a Kwik QUIC client and wraps it as a {@link QuicConnection}, verifying the server the
 * way a JDK TLS client does. Immutable: each setter returns a new value.
 *
 * <p>Secure by default: the server's chain is checked by the trust manager ({@link
 * #trustManager(X509TrustManager)}, the JDK's default anchors unless set), and its certificate must
 * be for the host connected to (endpoint identification {@code "HTTPS"} through the JDK: DNS names,
 * or IP address entries when the host is an IP address), or for {@link #serverName(String)}.
 * Skipping the host name check takes {@link #insecureSkipHostnameVerification()}.
 *
 * <p>Kwik 0.10.9 sends the host as SNI even when it is an IP address (RFC 6066 forbids it; servers
 * ignore it). Its own host name check (DNS names and the subject's common name only) is replaced by
 * the JDK's when graceful can reach Kwik's TLS engine (on the class path); elsewhere Kwik's stays
 * in force too, so that a connect by IP address then fails closed.
 */
public final class QuicClient {
  /** How long a failed connect waits for Kwik's report of the close that ended the handshake. */
  static final Duration CLOSE_REPORT_WAIT = Duration.ofSeconds(1);

  private final InetSocketAddress server;
  private final String alpn;
  private final @Nullable String serverName; // null: the host of server
  private final @Nullable X509TrustManager trust; // null: the JDK's default
  private final @Nullable X509Certificate clientCertificate; // with clientKey, or both null
  private final @Nullable PrivateKey clientKey;
  private final boolean verifyHostname;
  private final Consumer<QuicClientConnection.Builder> kwik;
  private final QuicOptions options;

  private QuicClient(
      InetSocketAddress server,
      String alpn,
      @Nullable String serverName,
      @Nullable X509TrustManager trust,
      @Nullable X509Certificate clientCertificate,
      @Nullable PrivateKey clientKey,
      boolean verifyHostname,
      Consumer<QuicClientConnection.Builder> kwik,
      QuicOptions options) {
    this.server = server;
    this.alpn = alpn;
    this.serverName = serverName;
    this.trust = trust;
    this.clientCertificate = clientCertificate;
    this.clientKey = clientKey;
    this.verifyHostname = verifyHostname;
    this.kwik = kwik;
    this.options = options;
  }

  /**
   * @param server where to connect; its host name (or IP address) is what the certificate must be
   *     for
   * @param alpn the application protocol to negotiate
   * @return a client with the defaults: the JDK's trust anchors, host name verification on
   */
  public static QuicClient to(InetSocketAddress server, String alpn) {
    Objects.requireNonNull(server, "server");
    if (Objects.requireNonNull(alpn, "alpn").isEmpty()) {
      throw new IllegalArgumentException("alpn must not be empty");
    }
    return new QuicClient(
        server, alpn, null, null, null, null, true, b -> {}, QuicOptions.defaults());
  }

  /**
   * Verifies the certificate against {@code name} (and sends it as SNI) instead of the host
   * connected to, which is still where the packets go.
   *
   * @param name a DNS host name, or an IP address
   * @return a client with it
   * @throws IllegalArgumentException if {@code name} can be no host name
   */
  public QuicClient serverName(String name) {
    Objects.requireNonNull(name, "name");
    if (!isIpAddress(name)) {
      new SNIHostName(name); // refuses what can be no host name, now rather than at connect
    }
    return new QuicClient(
        server, alpn, name, trust, clientCertificate, clientKey, verifyHostname, kwik, options);
  }

  /**
   * @param trustManager checks the server's chain (for example one over a {@code KeyStore} of the
   *     trust anchors a command line's {@code --cacert} names)
   * @return a client with it
   */
  public QuicClient trustManager(X509TrustManager trustManager) {
    return new QuicClient(
        server,
        alpn,
        serverName,
        Objects.requireNonNull(trustManager, "trustManager"),
        clientCertificate,
        clientKey,
        verifyHostname,
        kwik,
        options);
  }

  /**
   * @param certificate the client's certificate, sent when the server asks for one
   * @param key its private key
   * @return a client with them
   */
  public QuicClient clientCertificate(X509Certificate certificate, PrivateKey key) {
    return new QuicClient(
        server,
        alpn,
        serverName,
        trust,
        Objects.requireNonNull(certificate, "certificate"),
        Objects.requireNonNull(key, "key"),
        verifyHostname,
        kwik,
        options);
  }

  /**
   * <strong>Insecure:</strong> the server's certificate is not checked against any host name, so
   * any server holding a certificate the trust manager accepts can stand in for the intended one.
   * The chain is still checked. For tests and for peers whose names cannot be known in advance.
   *
   * @return a client that skips host name verification
   */
  public QuicClient insecureSkipHostnameVerification() {
    return new QuicClient(
        server, alpn, serverName, trust, clientCertificate, clientKey, false, kwik, options);
  }

  /**
   * Other Kwik settings (idle timeout, stream limits, logger, versions), applied before graceful's
   * own: a trust manager or certificate check set here is replaced by this client's.
   *
   * @param settings adjusts Kwik's builder
   * @return a client with them
   */
  public QuicClient kwik(Consumer<QuicClientConnection.Builder> settings) {
    Objects.requireNonNull(settings, "settings");
    return new QuicClient(
        server,
        alpn,
        serverName,
        trust,
        clientCertificate,
        clientKey,
        verifyHostname,
        kwik.andThen(settings),
        options);
  }

  /**
   * @param quicOptions how graceful wraps the connection
   * @return a client with them
   */
  public QuicClient options(QuicOptions quicOptions) {
    return new QuicClient(
        server,
        alpn,
        serverName,
        trust,
        clientCertificate,
        clientKey,
        verifyHostname,
        kwik,
        Objects.requireNonNull(quicOptions, "quicOptions"));
  }

  /**
   * @return false only after {@link #insecureSkipHostnameVerification()}
   */
  public boolean verifiesHostname() {
    return verifyHostname;
  }

  /**
   * Connects (Kwik's connect blocks, so it runs on {@code Schedulers.boundedElastic()}) and wraps
   * the connection; its shutdown runs on one loop of {@code loops}.
   *
   * <p>Errors: a {@link QuicHandshakeException} (an {@link SSLHandshakeException}) when a
   * CONNECTION_CLOSE ended the handshake, with that close as its {@link
   * QuicHandshakeException#closeInfo() closeInfo()}: this side's when the server's certificate is
   * refused (its message the JDK's, for example "No subject alternative DNS name matching ...
   * found"; a TLS alert as CRYPTO_ERROR, 0x100 plus the alert), the server's when it refused the
   * client (no common application protocol, for one); an {@link UnknownHostException} for a host
   * that does not resolve; Kwik's {@link IOException} otherwise (no answer within its connect
   * timeout).
   *
   * @param loops the loop group; one loop is picked
   * @return a cold Mono of the connected client
   */
  public Mono<QuicConnection> connect(LoopGroup loops) {
    Objects.requireNonNull(loops, "loops");
    return Mono.fromCallable(() -> connectBlocking(loops))
        .subscribeOn(reactor.core.scheduler.Schedulers.boundedElastic());
  }

  private QuicConnection connectBlocking(LoopGroup loops) throws Exception {
    // Q7: graceful's close path is linked while the handshake runs, not by the first close
    CloseWarmUp.graceful(task -> QuicConnection.KWIK_CALLS.schedule(task));
    if (server.isUnresolved()) {
      throw new UnknownHostException(server.getHostString() + ": the host name did not resolve");
    }
    if (!verifyHostname && !KwikInternals.canReplaceHostnameVerifier()) {
      throw new IllegalStateException(
          "cannot skip host name verification: Kwik's TLS engine is not reachable (module path?)");
    }
    String address = server.getAddress().getHostAddress();
    String peerHost = serverName != null ? serverName : server.getHostString();
    ServerCertificateCheck check =
        new ServerCertificateCheck(
            trust != null ? trust : ServerCertificateCheck.jdkDefault(), peerHost, verifyHostname);
    QuicClientConnection.Builder b = QuicClientConnection.newBuilder().applicationProtocol(alpn);
    kwik.accept(b);
    b.uri(
            URI.create(
                "https://"
                    + (peerHost.indexOf(':') >= 0 ? "[" + peerHost + "]" : peerHost)
                    + ":"
                    + server.getPort()))
        .proxy(address) // the packets go to the resolved address, whatever name is verified
        .customTrustManager(check);
    if (clientCertificate != null) {
      b.clientCertificate(clientCertificate).clientCertificateKey(clientKey);
    }
    QuicClientConnection connection = b.build();
    // the JDK's check (in the trust manager) replaces Kwik's; where it cannot, Kwik's stays too
    KwikInternals.acceptAnyHostname(connection);
    HandshakeClose ending = new HandshakeClose();
    connection.setConnectionListener(ending); // graceful's own listener replaces it once connected
    try {
      connection.connect();
    } catch (IOException | RuntimeException e) {
      throw failure(e, check.refusal(e), ending);
    }
    return QuicConnection.of(
        connection,
        loops,
        "quic-client->" + server.getHostString() + ":" + server.getPort(),
        options);
  }

  /**
   * Q12 for a connect: a handshake that ended in a CONNECTION_CLOSE, either side's, fails as a
   * {@link QuicHandshakeException} carrying that close. Kwik reports the close on its callback
   * thread around the moment its connect throws, so it is waited for (up to {@link
   * #CLOSE_REPORT_WAIT}) when the handshake failed; a failure without any close (no answer within
   * Kwik's connect timeout) is thrown as it is, at once.
   */
  private static Exception failure(
      Exception kwikFailure, @Nullable SSLHandshakeException refused, HandshakeClose ending) {
    // Kwik 0.10.9 says "Handshake error: ..." when a CONNECTION_CLOSE ended the handshake
    boolean closed =
        refused != null || String.valueOf(kwikFailure.getMessage()).startsWith("Handshake error");
    Optional<CloseInfo> close = closed ? ending.await(CLOSE_REPORT_WAIT) : ending.now();
    if (close.isEmpty()) {
      return refused != null ? refused : kwikFailure;
    }
    if (refused == null) {
      return new QuicHandshakeException(
          String.valueOf(kwikFailure.getMessage()), close.get(), kwikFailure);
    }
    QuicHandshakeException e =
        new QuicHandshakeException(
            String.valueOf(refused.getMessage()), close.get(), refused.getCause());
    e.addSuppressed(kwikFailure);
    return e;
  }

  static boolean isIpAddress(String host) {
    if (host.indexOf(':') >= 0) {
      return true;
    }
    String last = host.substring(host.lastIndexOf('.') + 1);
    return !last.isEmpty() && last.chars().allMatch(c -> c >= '0' && c <= '9');
  }

  @Override
  public String toString() {
    return "QuicClient["
        + server
        + ", alpn "
        + alpn
        + (verifyHostname
            ? ", verifying " + (serverName != null ? serverName : server.getHostString())
            : ", INSECURE: host name not verified")
        + "]";
  }
}
