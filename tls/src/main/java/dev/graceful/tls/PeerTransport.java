package dev.graceful.tls;

import dev.graceful.core.spi.Waiters;
import java.io.IOException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.Executor;

/**
 * One DTLS peer of a {@link DtlsServer}: datagrams from that address are handed here by the
 * server's receive loop; writes go out through the server's socket to that address. Lives on the
 * server's loop.
 */
final class PeerTransport implements TlsTransport {
  /** Datagrams queued per peer before the oldest are dropped (as a socket buffer would). */
  private static final int MAX_QUEUED = 256;

  private final DtlsServer server;
  private final SocketAddress peer;
  private final String identity;
  private final Deque<ByteBuffer> inbound = new ArrayDeque<>();
  private final Waiters waiters = new Waiters();
  private boolean open = true;

  PeerTransport(DtlsServer server, SocketAddress peer) {
    this.server = server;
    this.peer = peer;
    this.identity =
        SelectableTransport.address(server.address()) + "->" + SelectableTransport.address(peer);
  }

  /** A datagram from the peer; called on the loop. */
  void deliver(ByteBuffer datagram) {
    if (!open) {
      return;
    }
    if (inbound.size() == MAX_QUEUED) {
      inbound.poll();
    }
    inbound.add(datagram);
    for (Runnable w : waiters.take(false)) {
      w.run();
    }
  }

  /** The socket became writable; called on the loop. */
  void writable() {
    for (Runnable w : waiters.take(true)) {
      w.run();
    }
  }

  boolean waitsForWrite() {
    return (waiters.interestOps() & java.nio.channels.SelectionKey.OP_WRITE) != 0;
  }

  @Override
  public Executor executor() {
    return server.loop();
  }

  @Override
  public int read(ByteBuffer dst) throws IOException {
    if (!open) {
      throw new ClosedChannelException();
    }
    ByteBuffer head = inbound.peek();
    if (head == null) {
      return 0;
    }
    int n = Math.min(dst.remaining(), head.remaining());
    dst.put(head.slice().limit(n));
    head.position(head.position() + n);
    if (!head.hasRemaining()) {
      inbound.poll();
    }
    return n;
  }

  @Override
  public int write(ByteBuffer src) throws IOException {
    if (!open) {
      throw new ClosedChannelException();
    }
    return server.sendTo(src, peer);
  }

  @Override
  public void awaitReadiness(boolean forWrite, Runnable onReady) {
    if (!open || (!forWrite && !inbound.isEmpty())) {
      server.loop().execute(onReady);
      return;
    }
    waiters.add(forWrite, onReady);
    if (forWrite) {
      server.wantWrite();
    }
  }

  @Override
  public void cancelReadiness(Runnable onReady) {
    waiters.remove(onReady);
  }

  @Override
  public void close() {
    if (!open) {
      return;
    }
    open = false;
    inbound.clear();
    server.forget(peer, this);
    List<Runnable> wake = waiters.takeAll();
    for (Runnable w : wake) {
      try {
        server.loop().execute(w); // they step again and see the closed transport
      } catch (java.util.concurrent.RejectedExecutionException stopped) {
        break; // a stopped loop runs nothing more: what waited was told by its deadline's refusal
      }
    }
  }

  @Override
  public boolean isOpen() {
    return open;
  }

  @Override
  public String describe() {
    return identity;
  }
}
