package dev.graceful.samples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.common.testing.NullPointerTester;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import dev.graceful.core.LoopGroup;
import dev.graceful.core.ServerShutdown;
import dev.graceful.core.ShutdownReport;
import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownSpec;
import dev.graceful.netty.quic.NettyQuicConnection;
import dev.graceful.netty.quic.NettyQuicServer;
import dev.graceful.quic.QuicConnection;
import dev.graceful.quic.QuicOptions;
import dev.graceful.quic.QuicShutdown;
import dev.graceful.tls.HostnameVerification;
import dev.graceful.tls.MemoryTransport;
import dev.graceful.tls.TlsConnection;
import dev.graceful.tls.TlsServerOptions;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import tech.kwik.core.QuicClientConnection;
import tech.kwik.core.log.NullLogger;

/**
 * Every public constructor and method of the API, given a null for each parameter not declared
 * {@code @Nullable}, fails at once with a {@link NullPointerException} naming nothing half-done:
 * Guava's {@link NullPointerTester} over every public type of the API packages, and over the
 * instance methods of the policy, value and connection types a caller holds.
 */
@Tag("R5")
class PublicApiNullSweepTest {
  private static final Set<String> API =
      Set.of(
          "dev.graceful.core",
          "dev.graceful.core.metrics",
          "dev.graceful.tls",
          "dev.graceful.quic",
          "dev.graceful.netty",
          "dev.graceful.netty.quic");

  private static final Pattern TEST_JAR = Pattern.compile(".*-tests\\.jar.*");

  private static LoopGroup loops;
  private static SSLContext context;
  private static QuicConnection quic;

  @BeforeAll
  static void setUp() throws Exception {
    loops = LoopGroup.create(1);
    context = SSLContext.getDefault();
    // never connected: enough for arguments to be checked, nothing is sent
    quic =
        QuicConnection.of(
            QuicClientConnection.newBuilder()
                .uri(URI.create("https://127.0.0.1:9"))
                .applicationProtocol("sweep")
                .logger(new NullLogger())
                .build(),
            loops,
            "sweep");
  }

  @AfterAll
  static void tearDown() {
    loops.shutdown().block();
  }

  private static NullPointerTester tester() {
    NullPointerTester tester = new NullPointerTester();
    try {
      // a NettyQuicConnection needs a live QuicChannel: this one is checked by hand below
      tester.ignore(
          NettyQuicServer.Accepted.class.getConstructor(NettyQuicConnection.class, Flux.class));
    } catch (NoSuchMethodException e) {
      throw new AssertionError(e);
    }
    return tester
        .setDefault(LoopGroup.class, loops)
        .setDefault(SSLContext.class, context)
        .setDefault(InetSocketAddress.class, new InetSocketAddress("127.0.0.1", 9))
        .setDefault(Mono.class, Mono.empty())
        .setDefault(Flux.class, Flux.empty())
        .setDefault(MeterRegistry.class, new SimpleMeterRegistry())
        .setDefault(Scheduler.class, Schedulers.immediate())
        .setDefault(ShutdownSpec.class, ShutdownSpec.bidirectional())
        .setDefault(ShutdownReport.class, new ShutdownReport(List.of(), Duration.ZERO))
        .setDefault(QuicOptions.class, QuicOptions.defaults())
        .setDefault(
            dev.graceful.core.CloseInfo.class, dev.graceful.core.CloseInfo.application(0, "", true))
        .setDefault(HostnameVerification.class, HostnameVerification.defaults())
        .setDefault(TlsServerOptions.class, TlsServerOptions.defaults())
        .setDefault(SSLEngine.class, context.createSSLEngine())
        .setDefault(QuicConnection.class, quic);
  }

  private static List<Class<?>> apiTypes() {
    return new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .withImportOption(location -> !location.matches(TEST_JAR))
            .importPackages(API.toArray(String[]::new))
            .stream()
            .filter(c -> API.contains(c.getPackageName()))
            .filter(c -> c.getModifiers().contains(JavaModifier.PUBLIC))
            .sorted(Comparator.comparing(JavaClass::getName))
            .map(JavaClass::reflect)
            .collect(Collectors.toList());
  }

  @Test
  void staticMethodsAndConstructorsRefuseNull() {
    List<Class<?>> types = apiTypes();
    assertThat(types).as("API types found").hasSizeGreaterThan(30);
    List<String> failures = new ArrayList<>();
    for (Class<?> type : types) {
      try {
        tester().testAllPublicStaticMethods(type);
      } catch (Throwable e) {
        failures.add(type.getName() + " (static): " + e.getMessage());
      }
      try {
        tester().testAllPublicConstructors(type);
      } catch (Throwable e) {
        failures.add(type.getName() + " (constructor): " + e.getMessage());
      }
    }
    assertThat(failures).isEmpty();
  }

  @Test
  void acceptedNettyQuicConnectionsRefuseNull() {
    assertThatThrownBy(() -> new NettyQuicServer.Accepted(null, Flux.empty()))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("connection");
  }

  @Test
  void instanceMethodsRefuseNull() {
    MemoryTransport transport = MemoryTransport.create(Runnable::run, "sweep");
    List<Object> instances =
        List.of(
            ShutdownSpec.bidirectional(),
            ShutdownSpec.bidirectional().fast(),
            ShutdownResult.builder("sweep"),
            ShutdownResult.builder("sweep").build(),
            ServerShutdown.of(ShutdownSpec.bidirectional()),
            TlsServerOptions.defaults(),
            QuicShutdown.defaults(),
            QuicOptions.defaults(),
            TlsConnection.over(transport, context.createSSLEngine(), context),
            quic,
            loops);
    List<String> failures = new ArrayList<>();
    for (Object instance : instances) {
      try {
        tester().testAllPublicInstanceMethods(instance);
      } catch (Throwable e) {
        failures.add(instance.getClass().getName() + ": " + e.getMessage());
      }
    }
    assertThat(failures).isEmpty();
  }
}
