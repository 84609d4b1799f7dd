package dev.graceful.spring;

import dev.graceful.core.ServerShutdown;
import dev.graceful.core.ShutdownReport;
import dev.graceful.netty.GracefulServer;
import dev.graceful.netty.NettyCleartextConnection;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.local.LocalAddress;
import io.netty.channel.local.LocalChannel;
import io.netty.channel.local.LocalIoHandler;
import io.netty.channel.local.LocalServerChannel;
import io.netty.util.concurrent.Future;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.netty.DisposableServer;

/**
 * Runs the shutdown path once, in advance, on a connection inside the JVM, so that the
 * application's shutdown runs warm.
 *
 * <p>The first time a JVM ends a connection gracefully, it loads and links about a hundred classes
 * on the way (graceful's state machine and Netty engine, the lambdas they create, the Reactor
 * operators they compose) before the first FIN or close_notify goes out. An application shuts down
 * once, so that cold run is the one it gets: an idle keep-alive connection then closes tens to
 * hundreds of milliseconds (the busier the machine, the more) later than a warm run closes it. The
 * rehearsal pays that cost while the application runs, in the background: it ends one connection of
 * Netty's in-VM transport ({@code LocalChannel}: no socket, nothing a client can reach) with the
 * application's own {@link ServerShutdown}, then shuts down a tracker of its own over that in-VM
 * listener. The application's tracker, its report, its event and its meters are not involved.
 *
 * <p>Connections over TLS take the same path up to the engine; their TLS engine itself stays cold
 * (it would need a certificate).
 */
final class ShutdownRehearsal {
  /** Far longer than the rehearsal takes; a bound in case a policy waits for what never comes. */
  static final Duration LIMIT = Duration.ofSeconds(5);

  private ShutdownRehearsal() {}

  /**
   * Cold: nothing runs before subscription. Cancelling it closes the in-VM connection and stops the
   * rehearsal's event loop.
   *
   * @param how the application's shutdown policy
   * @return the report of the rehearsed connection's end, once the rehearsal has cleaned up; an
   *     error with {@link java.util.concurrent.TimeoutException} after {@link #LIMIT}
   */
  static Mono<ShutdownReport> rehearse(ServerShutdown how) {
    Objects.requireNonNull(how, "how");
    return Mono.usingWhen(
            Mono.fromSupplier(
                () ->
                    new MultiThreadIoEventLoopGroup(
                        1, ShutdownRehearsal::thread, LocalIoHandler.newFactory())),
            group -> endOneConnection(group, how),
            group -> completion(group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS)))
        .timeout(LIMIT);
  }

  /**
   * A plain daemon thread, not one of Netty's own: BlockHound (in an application's tests) takes
   * those for event loops that must never block, and the in-VM transport's loop parks while it
   * waits for work.
   */
  private static Thread thread(Runnable r) {
    Thread t = new Thread(r, "graceful-rehearsal");
    t.setDaemon(true);
    return t;
  }

  private static Mono<ShutdownReport> endOneConnection(EventLoopGroup group, ServerShutdown how) {
    LocalAddress address = new LocalAddress(ShutdownRehearsal.class);
    Sinks.One<Channel> accepted = Sinks.one();
    ChannelFuture bound =
        new ServerBootstrap()
            .group(group)
            .channel(LocalServerChannel.class)
            .childHandler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    accepted.tryEmitValue(ch);
                  }
                })
            .bind(address);
    Mono<Channel> connected =
        completion(bound)
            .then(
                Mono.defer(
                    () -> {
                      ChannelFuture f =
                          new Bootstrap()
                              .group(group)
                              .channel(LocalChannel.class)
                              .handler(new ChannelInboundHandlerAdapter())
                              .connect(address);
                      return completion(f).thenReturn(f.channel());
                    }));
    return connected
        .zipWith(accepted.asMono())
        .flatMap(
            pair -> {
              Channel client = pair.getT1();
              Channel server = pair.getT2();
              Mono<ShutdownReport> ended =
                  how.run(
                      Mono.empty(),
                      List.of(ServerShutdown.Member.of(NettyCleartextConnection.of(server))));
              // the client closes too, for a policy that waits for it (wait-peer): its close is
              // queued on the one event loop after the server's first step, which the subscription
              // above queued, so that the other policies still close first
              Mono<Channel> clientCloses =
                  Mono.fromRunnable(() -> client.eventLoop().execute(client::close))
                      .thenReturn(client);
              // then a tracker of its own stops accepting on the in-VM listener, with no connection
              GracefulServer tracker = GracefulServer.create();
              DisposableServer listener = bound::channel;
              return ended
                  .zipWith(clientCloses, (report, c) -> report)
                  .flatMap(report -> tracker.shutdown(listener, how).thenReturn(report));
            });
  }

  private static Mono<Void> completion(Future<?> future) {
    return Mono.create(
        sink -> {
          future.addListener(
              f -> {
                if (f.isSuccess()) {
                  sink.success();
                } else {
                  sink.error(f.cause());
                }
              });
          sink.onCancel(() -> future.cancel(false));
        });
  }
}
