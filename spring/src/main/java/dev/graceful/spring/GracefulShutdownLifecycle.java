package dev.graceful.spring;

import dev.graceful.core.ServerShutdown;
import dev.graceful.core.ShutdownReport;
import dev.graceful.netty.GracefulServer;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.SmartLifecycle;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.netty.DisposableServer;

/**
 * G11: runs the graceful shutdown of the application's reactor-netty server while the application
 * context closes (SIGTERM, {@code context.close()}), then logs its report and publishes it as a
 * {@link GracefulShutdownEvent}.
 *
 * <p>Where it sits among Boot's own lifecycles (a context stops the highest phase first, and each
 * phase only once the one before has ended or its {@code
 * spring.lifecycle.timeout-per-shutdown-phase} ran out):
 *
 * <ol>
 *   <li>this lifecycle, phase {@link #PHASE}, one above Boot's graceful-shutdown phase: draining is
 *       signalled; the server stops accepting; in-flight exchanges finish within {@code
 *       graceful.shutdown.grace}; every connection is ended by {@code graceful.shutdown.mode} and
 *       closed; stragglers are forced at {@code graceful.shutdown.timeout};
 *   <li>Boot's {@code WebServerGracefulShutdownLifecycle} ({@code server.shutdown=graceful}): its
 *       {@code disposeNow} finds no connection left and ends at once;
 *   <li>Boot's web-server stop lifecycle: disposes the (already closed) server;
 *   <li>the Reactor resources (event loops), phase 0.
 * </ol>
 *
 * Running first is what lets graceful end the connections: had Boot's shutdown run first, its
 * {@code disposeNow} would close them without close_notify and without telling keep-alive clients.
 * Keep the phase timeout (30 s by default) above {@code graceful.shutdown.timeout} plus a few
 * seconds; if it runs out, Boot's own shutdown takes over and closes what is left.
 *
 * <p>A context that is paused rather than closed ({@code context.pause()}) keeps serving: this
 * lifecycle is not pauseable.
 */
public final class GracefulShutdownLifecycle implements SmartLifecycle {
  /**
   * One above Boot's graceful-shutdown phase ({@code SmartLifecycle.DEFAULT_PHASE - 1024}); a
   * constant, so this class needs none of Boot's web-server classes at run time.
   */
  public static final int PHASE = WebServerApplicationContext.GRACEFUL_SHUTDOWN_PHASE + 1;

  private static final Logger log = LoggerFactory.getLogger(GracefulShutdownLifecycle.class);

  private final GracefulServer graceful;
  private final GracefulNettyServerCustomizer servers;
  private final ServerShutdown how;
  private final List<ServerShutdownDecorator> decorators;
  private final ApplicationEventPublisher events;
  private final AtomicReference<ShutdownReport> last = new AtomicReference<>();
  private final AtomicReference<Mono<ShutdownReport>> run = new AtomicReference<>();
  private volatile boolean running;
  private volatile Disposable rehearsal = Disposables.disposed();

  /**
   * @param graceful the tracker of the server's connections
   * @param servers where the bound server is found
   * @param how the shutdown policy
   * @param decorators applied in order to the shutdown
   * @param events where the report is published
   */
  public GracefulShutdownLifecycle(
      GracefulServer graceful,
      GracefulNettyServerCustomizer servers,
      ServerShutdown how,
      List<ServerShutdownDecorator> decorators,
      ApplicationEventPublisher events) {
    this.graceful = Objects.requireNonNull(graceful, "graceful");
    this.servers = Objects.requireNonNull(servers, "servers");
    this.how = Objects.requireNonNull(how, "how");
    this.decorators = List.copyOf(decorators);
    this.events = Objects.requireNonNull(events, "events");
  }

  /**
   * Marks this lifecycle running and, in the background, rehearses the shutdown path on a
   * connection inside the JVM ({@link ShutdownRehearsal}), so that the shutdown later runs warm:
   * without it, the first connection a JVM ends waits while that path's classes load.
   */
  @Override
  public void start() {
    running = true;
    rehearsal =
        ShutdownRehearsal.rehearse(how)
            .elapsed()
            .subscribeOn(Schedulers.boundedElastic())
            .publishOn(Schedulers.boundedElastic())
            .subscribe(
                t ->
                    log.debug(
                        "Rehearsed the shutdown path in {} ms: {}",
                        t.getT1(),
                        ShutdownSummary.of(t.getT2()).toJson()),
                e ->
                    log.debug(
                        "The rehearsal of the shutdown path failed; the shutdown will run cold",
                        e));
  }

  /** Starts the shutdown without waiting for it (a context calls {@link #stop(Runnable)}). */
  @Override
  public void stop() {
    stop(() -> {});
  }

  /**
   * Starts the shutdown and calls {@code callback} once it has ended (reported or failed).
   *
   * @param callback the context's: the next phase waits for it
   */
  @Override
  public void stop(Runnable callback) {
    running = false;
    rehearsal.dispose(); // still under way in a short-lived application: not needed any more
    shutdown()
        .doFinally(s -> callback.run())
        .subscribe(r -> {}, e -> log.error("Graceful shutdown of the web server failed", e));
  }

  @Override
  public boolean isRunning() {
    return running;
  }

  @Override
  public int getPhase() {
    return PHASE;
  }

  @Override
  public boolean isPauseable() {
    return false;
  }

  /**
   * The server's graceful shutdown: empty when no server was bound (none started, or not
   * reactor-netty). Cold; the first subscription starts it, later ones (and {@link
   * #stop(Runnable)}) share that run.
   *
   * @return the report, also logged, published and kept for {@link #lastReport()}
   */
  public Mono<ShutdownReport> shutdown() {
    Mono<ShutdownReport> shared = run.get();
    if (shared != null) {
      return shared;
    }
    Mono<ShutdownReport> fresh = Mono.defer(this::runOnce).cache();
    return run.compareAndSet(null, fresh) ? fresh : run.get();
  }

  private Mono<ShutdownReport> runOnce() {
    List<DisposableServer> bound = servers.boundServers();
    if (bound.isEmpty()) {
      log.debug("No reactor-netty server bound: nothing to shut down");
      return Mono.empty();
    }
    // a second server bound through the same customizer (rare) stops accepting too; the one
    // shutdown ends the connections of all of them
    Mono<Void> others =
        Mono.when(
            bound.subList(1, bound.size()).stream()
                .map(
                    s ->
                        Mono.<Void>create(
                            sink -> s.channel().close().addListener(f -> sink.success())))
                .toList());
    log.info("Commencing graceful shutdown of the web server");
    // the report is handled (logged, published to listeners that may block) off the event loops
    Mono<ShutdownReport> shutdown =
        others.then(graceful.shutdown(bound.get(0), how)).publishOn(Schedulers.boundedElastic());
    for (ServerShutdownDecorator d : decorators) {
      shutdown = d.decorate(shutdown);
    }
    return shutdown.doOnNext(this::reported);
  }

  private void reported(ShutdownReport report) {
    last.set(report);
    ShutdownSummary s = ShutdownSummary.of(report);
    if (report.clean()) {
      log.info("Graceful shutdown of the web server ended: {}", s.toJson());
    } else {
      log.warn(
          "Graceful shutdown of the web server ended, not cleanly: {}; forced: {}",
          s.toJson(),
          report.stragglers());
    }
    events.publishEvent(new GracefulShutdownEvent(this, report));
  }

  /**
   * @return the report of the last shutdown, if one has ended
   */
  public Optional<ShutdownReport> lastReport() {
    return Optional.ofNullable(last.get());
  }
}
