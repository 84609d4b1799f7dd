package dev.graceful.samples.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graceful.core.DrainStatus;
import dev.graceful.core.Outcome;
import dev.graceful.core.ShutdownReport;
import dev.graceful.core.ShutdownResult;
import dev.graceful.netty.quic.NettyQuicConnection;
import dev.graceful.netty.quic.NettyQuicServer;
import dev.graceful.testkit.TestCerts;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.handler.codec.quic.QuicSslContext;
import io.netty.handler.codec.quic.QuicSslContextBuilder;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The Netty QUIC samples: graceful's Netty server and a Netty client that verifies it. */
class NettyQuicExampleIT {
  static final Duration WAIT = Duration.ofSeconds(20);
  static EventLoopGroup group;

  @BeforeAll
  static void setUp() {
    group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  }

  @AfterAll
  static void tearDown() {
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }

  // Q1, Q5, Q6, Q13: 300 kB written and concluded are drained before the close, which completes;
  // then G3, G5 on Netty: the server's shutdown ends the other open connection and reports it.
  @Test
  @Tag("Q1")
  @Tag("Q5")
  @Tag("Q6")
  @Tag("Q13")
  @Tag("G3")
  @Tag("G5")
  void dataIsDrainedBeforeTheCloseAndTheServerShutsDownGracefully() throws Exception {
    TestCerts certs = TestCerts.create();
    InetSocketAddress at = new InetSocketAddress("127.0.0.1", QuicExampleIT.freeUdpPort());
    NettyQuicServer server =
        NettyQuicExample.serve(
            NettyQuicExample.serverSsl(certs.keyFile().toFile(), certs.certFile().toFile()),
            group,
            at);
    QuicSslContext client =
        QuicSslContextBuilder.forClient()
            .trustManager(trusting(certs)) // verifies the server's certificate
            .endpointIdentificationAlgorithm("HTTPS") // and that it names the host connected to
            .applicationProtocols("graceful")
            .build();
    NettyQuicConnection first = NettyQuicExample.connect(client, group, at);
    NettyQuicConnection second = NettyQuicExample.connect(client, group, at);
    // both accepted before the first one closes, so that the server still holds the second
    assertThat(
            reactor.core.publisher.Mono.fromSupplier(() -> server.openConnections().size())
                .filter(n -> n == 2)
                .repeatWhenEmpty(tries -> tries.delayElements(Duration.ofMillis(10)))
                .block(WAIT))
        .isEqualTo(2);

    ShutdownResult r = NettyQuicExample.sendThenClose(first, new byte[300_000]);
    assertThat(r.outcome()).isEqualTo(Outcome.COMPLETE);
    assertThat(r.drained()).isEqualTo(DrainStatus.DRAINED);
    assertThat(r.bytesDrained()).isEqualTo(300_000);

    ShutdownReport report = NettyQuicExample.stop(server);
    assertThat(report.connections()).isEqualTo(1);
    assertThat(report.clean()).isTrue();
    second.ended().block(WAIT);
    assertThat(second.shutdownState().received()).isTrue();
  }

  static javax.net.ssl.TrustManager trusting(TestCerts certs) throws Exception {
    java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setCertificateEntry("ca", certs.cert().certificate());
    javax.net.ssl.TrustManagerFactory f =
        javax.net.ssl.TrustManagerFactory.getInstance(
            javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
    f.init(ks);
    return f.getTrustManagers()[0];
  }
}
