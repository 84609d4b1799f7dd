package dev.graceful.tls;

import dev.graceful.core.spi.SelectorLoop;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Scheduler;

/**
 * A DTLS server on one UDP socket: datagrams are demultiplexed by the peer's address, a datagram
 * that opens a handshake from a new address starts a connection, and handshaken connections are
 * emitted. Everything runs on one loop.
 */
public final class DtlsServer {
  private static final System.Logger LOG = System.getLogger(DtlsServer.class.getName());

  private final DatagramChannel channel;
  private final SelectorLoop loop;
  private final SSLContext context;
  private final Consumer<SSLEngine> configure;
  private final Scheduler timer;
  private final InetSocketAddress address;
  private final Map<SocketAddress, PeerTransport> peers = new HashMap<>();
  private final Sinks.Many<TlsConnection> accepted = Sinks.many().unicast().onBackpressureBuffer();
  private final ByteBuffer rx = ByteBuffer.allocate(DatagramTransport.MAX_DATAGRAM);
  private SelectionKey key;
  private boolean accepting = true;

  private DtlsServer(
      DatagramChannel channel, SelectorLoop loop, SSLContext context, Consumer<SSLEngine> configure, Scheduler timer)
      throws IOException {
    this.channel = channel;
    this.loop = loop;
    this.context = context;
    this.configure = configure;
    this.timer = timer;
    this.address = (InetSocketAddress) channel.getLocalAddress();
  }

  /**
   * @param bind the address (port 0 for an ephemeral port)
   * @param context a "DTLS" server context
   * @param loop the loop every connection of this server lives on
   * @param configure adjusts each engine
   * @param timer where handshake retransmission timers run
   * @return the listening server
   */
  public static Mono<DtlsServer> bind(
      InetSocketAddress bind, SSLContext context, SelectorLoop loop, Consumer<SSLEngine> configure, Scheduler timer) {
    Objects.requireNonNull(context, "context");
    Objects.requireNonNull(configure, "configure");
    Objects.requireNonNull(timer, "timer");
    return Mono.create(
        sink -> {
          DtlsServer server;
          try {
            DatagramChannel ch = DatagramChannel.open();
            ch.configureBlocking(false);
            ch.bind(bind);
            server = new DtlsServer(ch, loop, context, configure, timer);
          } catch (IOException e) {
            sink.error(e);
            return;
          }
          loop.execute(
              () -> {
                try {
                  server.key = loop.register(server.channel, k -> server.ready());
                  server.key.interestOps(SelectionKey.OP_READ);
                  sink.success(server);
                } catch (IOException e) {
                  sink.error(e);
                }
              });
        });
  }

  /** @return handshaken connections, for one subscriber */
  public Flux<TlsConnection> connections() {
    return accepted.asFlux();
  }

  /** @return the bound address */
  public InetSocketAddress address() {
    return address;
  }

  SelectorLoop loop() {
    return loop;
  }

  /**
   * G1: stops accepting new peers; open connections keep working until released.
   *
   * @return completes when applied
   */
  public Mono<Void> stopAccepting() {
    return Mono.create(
        sink ->
            loop.execute(
                () -> {
                  endAccepting();
                  sink.success();
                }));
  }

  /** Loop thread: no new peers, and the connections Flux completes. */
  private void endAccepting() {
    accepting = false;
    accepted.tryEmitComplete();
  }

  /**
   * Closes the socket; connections on it can no longer send or receive.
   *
   * @return completes when closed
   */
  public Mono<Void> close() {
    return Mono.create(
        sink ->
            loop.execute(
                () -> {
                  endAccepting();
                  for (PeerTransport p : Map.copyOf(peers).values()) {
                    p.close();
                  }
                  if (key != null) {
                    key.cancel();
                  }
                  try {
                    channel.close();
                  } catch (IOException e) {
                    LOG.log(System.Logger.Level.WARNING, "closing DTLS socket failed", e);
                  }
                  sink.success();
                }));
  }

  int sendTo(ByteBuffer src, SocketAddress peer) throws IOException {
    return channel.send(src, peer);
  }

  void wantWrite() {
    if (key != null && key.isValid()) {
      key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
    }
  }

  void forget(SocketAddress peer, PeerTransport transport) {
    peers.remove(peer, transport);
  }

  private void ready() {
    if (key.isValid() && key.isWritable()) {
      key.interestOps(SelectionKey.OP_READ);
      for (PeerTransport p : Map.copyOf(peers).values()) {
        p.writable();
      }
    }
    if (key.isValid() && key.isReadable()) {
      drain();
    }
  }

  private void drain() {
    if (!channel.isOpen()) {
      return;
    }
    for (int i = 0; i < 64; i++) { // bounded per wake-up, so other work on the loop runs
      rx.clear();
      SocketAddress from;
      try {
        from = channel.receive(rx);
      } catch (IOException e) {
        LOG.log(System.Logger.Level.DEBUG, "receive failed: " + e.getMessage());
        return;
      }
      if (from == null) {
        return;
      }
      rx.flip();
      ByteBuffer datagram = ByteBuffer.allocate(rx.remaining()).put(rx).flip();
      PeerTransport peer = peers.get(from);
      if (peer == null) {
        if (!accepting || !opensHandshake(datagram)) {
          continue; // a stray record for a connection that is gone: RFC 6347 says drop it
        }
        peer = new PeerTransport(this, from);
        peers.put(from, peer);
        start(peer);
      }
      peer.deliver(datagram);
    }
    loop.execute(this::drain); // more may be waiting: continue after other tasks
  }

  /** A DTLS handshake record of epoch 0 (a ClientHello): content type 22, epoch bytes 0. */
  private static boolean opensHandshake(ByteBuffer d) {
    return d.remaining() > 13 && d.get(0) == 22 && d.get(3) == 0 && d.get(4) == 0;
  }

  private void start(PeerTransport transport) {
    SSLEngine ssl = context.createSSLEngine();
    ssl.setUseClientMode(false);
    configure.accept(ssl);
    TlsConnection c = TlsConnection.over(transport, ssl, context);
    c.handshake(timer)
        .subscribe(
            ready -> accepted.tryEmitNext(ready),
            e -> {
              LOG.log(System.Logger.Level.DEBUG, "DTLS handshake failed: " + e.getMessage());
              transport.close();
            });
  }
}
