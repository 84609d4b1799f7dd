package dev.graceful.benchmarks.faults;

import dev.graceful.testkit.FaultRelay;
import dev.graceful.tls.TlsConnection;
import dev.graceful.tls.TlsServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;
import javax.net.ssl.SSLSocket;

/**
 * graceful's {@link TlsConnection} on one side, the JDK's {@code SSLSocket} on the other (layered
 * over a plain socket, so the peer can end TCP without a close_notify), a {@link FaultRelay}
 * between them. graceful is the client (the peer an {@code SSLSocket} server) or the server (a
 * {@link TlsServer} of its own, the peer an {@code SSLSocket} client).
 */
final class TlsPair implements AutoCloseable {
  static final Duration SETUP = Duration.ofSeconds(20);

  final TlsConnection graceful;
  final SSLSocket peer;
  final Socket raw;
  final FaultRelay relay;
  final boolean gracefulIsClient;
  private final ServerSocket listener;
  private final TlsServer server;

  private TlsPair(
      TlsConnection graceful,
      SSLSocket peer,
      Socket raw,
      FaultRelay relay,
      boolean gracefulIsClient,
      ServerSocket listener,
      TlsServer server) {
    this.graceful = graceful;
    this.peer = peer;
    this.raw = raw;
    this.relay = relay;
    this.gracefulIsClient = gracefulIsClient;
    this.listener = listener;
    this.server = server;
  }

  static TlsPair open(Campaign.Env env, String protocol, boolean gracefulIsClient)
      throws Exception {
    String[] protocols = {protocol};
    if (gracefulIsClient) {
      ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
      FaultRelay relay = null;
      try {
        relay =
            new FaultRelay(
                new InetSocketAddress(listener.getInetAddress(), listener.getLocalPort()));
        Future<Socket[]> peer =
            env.peers.submit(
                () -> {
                  Socket raw = listener.accept();
                  raw.setTcpNoDelay(true);
                  SSLSocket s =
                      (SSLSocket)
                          env.certs
                              .server()
                              .getSocketFactory()
                              .createSocket(raw, "127.0.0.1", raw.getPort(), true);
                  s.setUseClientMode(false);
                  s.setEnabledProtocols(protocols);
                  s.startHandshake();
                  return new Socket[] {raw, s};
                });
        TlsConnection g =
            TlsConnection.connect(
                    relay.address(),
                    env.certs.client(),
                    env.loops,
                    e -> e.setEnabledProtocols(protocols))
                .block(SETUP);
        Socket[] p = peer.get(SETUP.toMillis(), TimeUnit.MILLISECONDS);
        return new TlsPair(g, (SSLSocket) p[1], p[0], relay, true, listener, null);
      } catch (Exception e) {
        listener.close();
        if (relay != null) {
          relay.close();
        }
        throw e;
      }
    }
    TlsServer server =
        TlsServer.bind(
                new InetSocketAddress("127.0.0.1", 0),
                env.certs.server(),
                env.loops,
                e -> e.setEnabledProtocols(protocols))
            .block(SETUP);
    FaultRelay relay = new FaultRelay(server.address());
    try {
      CompletableFuture<TlsConnection> accepted = server.connections().next().toFuture();
      Socket raw = new Socket();
      raw.setTcpNoDelay(true);
      raw.connect(relay.address(), (int) SETUP.toMillis());
      SSLSocket s =
          (SSLSocket)
              env.certs
                  .client()
                  .getSocketFactory()
                  .createSocket(raw, "127.0.0.1", raw.getPort(), true);
      s.setUseClientMode(true);
      s.setEnabledProtocols(protocols);
      s.setSoTimeout((int) SETUP.toMillis());
      s.startHandshake();
      s.setSoTimeout(0);
      TlsConnection g = accepted.get(SETUP.toMillis(), TimeUnit.MILLISECONDS);
      return new TlsPair(g, s, raw, relay, false, null, server);
    } catch (Exception e) {
      relay.close();
      server.stopAccepting().block(SETUP);
      throw e;
    }
  }

  /** The relay's direction towards graceful: to the client when graceful is the client. */
  boolean towardGraceful() {
    return gracefulIsClient;
  }

  /** The peer application: what it read, and how its reading ended. */
  static final class PeerLog {
    long read;
    final CRC32 crc = new CRC32();

    /** Whether the reading ended at the end of stream the peer's close_notify makes. */
    boolean endOfStream;

    String summary() {
      return read + " bytes, " + (endOfStream ? "end of stream" : "error");
    }
  }

  /** Reads until the end of the TLS stream (graceful's close_notify) or an error. */
  PeerLog readToEnd() {
    PeerLog log = new PeerLog();
    byte[] buf = new byte[16 * 1024];
    try {
      InputStream in = peer.getInputStream();
      int n;
      while ((n = in.read(buf)) >= 0) {
        log.read += n;
        log.crc.update(buf, 0, n);
      }
      log.endOfStream = true;
    } catch (IOException e) {
      // reset, closed, or a bad record: the log says how far it got
    }
    return log;
  }

  /** Reads exactly {@code n} bytes; fewer when the stream ends first. */
  PeerLog readExactly(long n) {
    PeerLog log = new PeerLog();
    byte[] buf = new byte[16 * 1024];
    try {
      InputStream in = peer.getInputStream();
      while (log.read < n) {
        int k = in.read(buf, 0, (int) Math.min(buf.length, n - log.read));
        if (k < 0) {
          log.endOfStream = true;
          break;
        }
        log.read += k;
        log.crc.update(buf, 0, k);
      }
    } catch (IOException e) {
      // as above
    }
    return log;
  }

  /** Writes {@code data} in {@code pieces} writes (each its own record or more). */
  void write(byte[] data, int pieces) throws IOException {
    int step = Math.max(1, (data.length + pieces - 1) / Math.max(1, pieces));
    for (int off = 0; off < data.length; off += step) {
      peer.getOutputStream().write(data, off, Math.min(step, data.length - off));
    }
    peer.getOutputStream().flush();
  }

  /** Closes the peer's TCP write side only: a bare FIN, no close_notify. */
  void finWithoutCloseNotify() {
    try {
      raw.shutdownOutput();
    } catch (IOException ignored) {
      // already gone
    }
  }

  /** The peer's close: close_notify, then the socket. */
  void closePeer() {
    try {
      peer.close();
    } catch (IOException ignored) {
      // already gone
    }
  }

  @Override
  public void close() {
    try {
      graceful.release().block(SETUP);
    } catch (RuntimeException ignored) {
      // released already, or the release reported the failure the trial already saw
    }
    try {
      raw.setSoLinger(true, 0);
    } catch (IOException ignored) {
      // closed already
    }
    try {
      raw.close();
    } catch (IOException ignored) {
      // nothing to do
    }
    relay.close();
    if (listener != null) {
      try {
        listener.close();
      } catch (IOException ignored) {
        // nothing to do
      }
    }
    if (server != null) {
      server.stopAccepting().block(SETUP);
    }
  }
}
