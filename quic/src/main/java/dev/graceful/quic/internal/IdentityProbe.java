package dev.graceful.quic.internal;

import java.nio.ByteBuffer;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSession;
import org.jspecify.annotations.Nullable;

/**
 * Not an engine: what {@link javax.net.ssl.X509ExtendedTrustManager#checkServerTrusted(
 * java.security.cert.X509Certificate[], String, SSLEngine)} reads from one to check the server's
 * identity, for a handshake that Kwik (not the JDK) runs: the peer's host name (through a handshake
 * session) and the endpoint identification algorithm {@code "HTTPS"}. Everything else is
 * unsupported.
 */
final class IdentityProbe extends SSLEngine {
  private final SSLParameters parameters = new SSLParameters();
  private final SSLSession session;

  IdentityProbe(String peerHost) {
    super(peerHost, -1);
    parameters.setEndpointIdentificationAlgorithm("HTTPS");
    session =
        (SSLSession)
            java.lang.reflect.Proxy.newProxyInstance(
                SSLSession.class.getClassLoader(),
                new Class<?>[] {SSLSession.class},
                (proxy, method, args) ->
                    switch (method.getName()) {
                      case "getPeerHost" -> peerHost;
                      case "getPeerPort" -> -1;
                      case "getProtocol" -> "TLSv1.3";
                      case "hashCode" -> System.identityHashCode(proxy);
                      case "equals" -> proxy == args[0];
                      case "toString" -> "handshake session of " + peerHost;
                      default -> throw new UnsupportedOperationException(method.getName());
                    });
  }

  @Override
  public SSLSession getHandshakeSession() {
    return session;
  }

  @Override
  public SSLParameters getSSLParameters() {
    return parameters;
  }

  @Override
  public boolean getUseClientMode() {
    return true;
  }

  private static UnsupportedOperationException unsupported() {
    return new UnsupportedOperationException("an identity probe runs no handshake");
  }

  @Override
  public SSLEngineResult wrap(ByteBuffer[] srcs, int offset, int length, ByteBuffer dst) {
    throw unsupported();
  }

  @Override
  public SSLEngineResult unwrap(ByteBuffer src, ByteBuffer[] dsts, int offset, int length) {
    throw unsupported();
  }

  @Override
  public @Nullable Runnable getDelegatedTask() {
    return null;
  }

  @Override
  public void closeInbound() {}

  @Override
  public boolean isInboundDone() {
    return true;
  }

  @Override
  public void closeOutbound() {}

  @Override
  public boolean isOutboundDone() {
    return true;
  }

  @Override
  public String[] getSupportedCipherSuites() {
    return new String[0];
  }

  @Override
  public String[] getEnabledCipherSuites() {
    return new String[0];
  }

  @Override
  public void setEnabledCipherSuites(String[] suites) {
    throw unsupported();
  }

  @Override
  public String[] getSupportedProtocols() {
    return new String[] {"TLSv1.3"};
  }

  @Override
  public String[] getEnabledProtocols() {
    return new String[] {"TLSv1.3"};
  }

  @Override
  public void setEnabledProtocols(String[] protocols) {
    throw unsupported();
  }

  @Override
  public SSLSession getSession() {
    return session;
  }

  @Override
  public void beginHandshake() {
    throw unsupported();
  }

  @Override
  public SSLEngineResult.HandshakeStatus getHandshakeStatus() {
    return SSLEngineResult.HandshakeStatus.NOT_HANDSHAKING;
  }

  @Override
  public void setUseClientMode(boolean mode) {
    throw unsupported();
  }

  @Override
  public void setNeedClientAuth(boolean need) {
    throw unsupported();
  }

  @Override
  public boolean getNeedClientAuth() {
    return false;
  }

  @Override
  public void setWantClientAuth(boolean want) {
    throw unsupported();
  }

  @Override
  public boolean getWantClientAuth() {
    return false;
  }

  @Override
  public void setEnableSessionCreation(boolean flag) {
    throw unsupported();
  }

  @Override
  public boolean getEnableSessionCreation() {
    return false;
  }
}
