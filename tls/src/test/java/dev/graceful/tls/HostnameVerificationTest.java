package dev.graceful.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** S1: the engine settings {@link HostnameVerification} makes, without a peer. */
@Tag("S1")
class HostnameVerificationTest {
  static SSLEngine engine(String host) throws Exception {
    SSLEngine e = SSLContext.getDefault().createSSLEngine(host, 443);
    e.setUseClientMode(true);
    return e;
  }

  @ParameterizedTest
  @ValueSource(strings = {"127.0.0.1", "10.1.2.3", "::1", "fe80::1%eth0", "2001:db8::8"})
  void tellsAddressLiterals(String address) {
    assertThat(HostnameVerification.isIpAddress(address)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "localhost",
        "example.com",
        "a1.example",
        "1a.example.org",
        "xn--bcher-kva.example"
      })
  void tellsHostNames(String name) {
    assertThat(HostnameVerification.isIpAddress(name)).isFalse();
  }

  @Test
  void defaultsSetHttpsEndpointIdentificationAndSni() throws Exception {
    SSLEngine e = engine("example.com");
    HostnameVerification.defaults().applyTo(e, "example.com");

    SSLParameters p = e.getSSLParameters();
    assertThat(p.getEndpointIdentificationAlgorithm()).isEqualTo("HTTPS");
    assertThat(p.getServerNames()).containsExactly(new SNIHostName("example.com"));
  }

  @Test
  void anAddressGetsEndpointIdentificationButNoSni() throws Exception {
    SSLEngine e = engine("127.0.0.1");
    HostnameVerification.defaults().applyTo(e, "127.0.0.1");

    SSLParameters p = e.getSSLParameters();
    assertThat(p.getEndpointIdentificationAlgorithm()).isEqualTo("HTTPS");
    assertThat(p.getServerNames()).isNullOrEmpty();
  }

  @Test
  void theInsecureOptOutSetsNoEndpointIdentificationAndSaysSo() throws Exception {
    HostnameVerification insecure = HostnameVerification.insecureSkipHostnameVerification();
    SSLEngine e = engine("example.com");
    insecure.applyTo(e, "example.com");

    assertThat(e.getSSLParameters().getEndpointIdentificationAlgorithm()).isNull();
    assertThat(insecure.verifiesHostname()).isFalse();
    assertThat(insecure.toString()).contains("INSECURE");
    assertThat(HostnameVerification.defaults().verifiesHostname()).isTrue();
  }

  @Test
  void aServerNameReplacesTheConnectHostAndKeepsTheOptOut() {
    InetSocketAddress at = new InetSocketAddress("127.0.0.1", 443);
    HostnameVerification named = HostnameVerification.defaults().serverName("example.com");

    assertThat(named.peerHost(at)).isEqualTo("example.com");
    assertThat(HostnameVerification.defaults().peerHost(at)).isEqualTo("127.0.0.1");
    assertThat(named.serverName()).contains("example.com");
    assertThat(
            HostnameVerification.insecureSkipHostnameVerification()
                .serverName("x.example")
                .verifiesHostname())
        .isFalse();
  }

  @Test
  void aNameSetByTheConfigurerIsKept() throws Exception {
    SSLEngine e = engine("example.com");
    SSLParameters own = e.getSSLParameters();
    own.setEndpointIdentificationAlgorithm("LDAPS");
    own.setServerNames(List.of(new SNIHostName("other.example")));
    e.setSSLParameters(own);

    HostnameVerification.defaults().applyTo(e, "example.com");

    assertThat(e.getSSLParameters().getEndpointIdentificationAlgorithm()).isEqualTo("LDAPS");
    assertThat(e.getSSLParameters().getServerNames())
        .containsExactly(new SNIHostName("other.example"));
  }

  @Test
  void refusesWhatCanBeNoHostName() {
    assertThatThrownBy(() -> HostnameVerification.defaults().serverName("bad name."))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
