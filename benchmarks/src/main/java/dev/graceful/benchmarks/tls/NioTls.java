package dev.graceful.benchmarks.tls;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLException;

/**
 * One TLS connection of the hand-written loop: the minimum a correct bidirectional close needs.
 * Buffers are the loop's scratch; a connection keeps bytes only when a record arrived in part
 * ({@code leftover}) or the socket did not take all of a write ({@code unwritten}). Delegated tasks
 * run inline. Confined to its loop.
 */
final class NioTls {
  /** What the owner hears about. */
  interface Events {
    void handshaken(NioTls c);

    /** The peer's close_notify was unwrapped. */
    void closeNotify(NioTls c);

    /** Our close_notify was handed to the socket whole. */
    void sent(NioTls c);

    /** The connection ended otherwise (EOF without close_notify, an error). */
    void ended(NioTls c, String why);
  }

  private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

  final SocketChannel ch;
  final SSLEngine ssl;
  private final NioLoop loop;
  private final Events events;
  SelectionKey key;
  private ByteBuffer leftover;
  private ByteBuffer unwritten;
  private boolean handshaken;
  private boolean closeNotifyReceived;
  private boolean closing;
  private boolean closeSent;
  private boolean ended;

  NioTls(SocketChannel ch, SSLEngine ssl, NioLoop loop, Events events) {
    this.ch = ch;
    this.ssl = ssl;
    this.loop = loop;
    this.events = events;
  }

  /** Registers for reads and starts the handshake (a client sends its hello at once). */
  void start() throws IOException {
    key = loop.register(ch, SelectionKey.OP_READ, k -> ready());
    ssl.beginHandshake();
    process(loop.netIn.clear().flip());
  }

  boolean closeNotifyReceived() {
    return closeNotifyReceived;
  }

  /** Sends our close_notify (SSL_shutdown's first call); the peer's is awaited by reading. */
  void close() {
    if (closing || ended) {
      return;
    }
    closing = true;
    ssl.closeOutbound();
    ByteBuffer out = loop.netOut.clear();
    try {
      while (!ssl.isOutboundDone()) {
        if (ssl.wrap(EMPTY, out).bytesProduced() == 0) {
          break;
        }
      }
      out.flip();
      if (write(out)) {
        closeSent = true;
        events.sent(this);
      }
    } catch (IOException e) {
      end(e.toString());
    }
  }

  /** Closes the socket with a reset (no TIME_WAIT between rounds). */
  void abort() {
    ended = true;
    try {
      ch.setOption(java.net.StandardSocketOptions.SO_LINGER, 0);
      ch.close();
    } catch (IOException ignored) {
      // tearing down
    }
  }

  private void ready() {
    if (ended || !key.isValid()) {
      return;
    }
    try {
      if (unwritten != null) {
        ch.write(unwritten);
        if (unwritten.hasRemaining()) {
          return;
        }
        unwritten = null;
        key.interestOps(closeNotifyReceived ? 0 : SelectionKey.OP_READ);
        if (closing && !closeSent) {
          closeSent = true;
          events.sent(this);
        }
      }
      if (closeNotifyReceived) {
        return;
      }
      ByteBuffer in = loop.netIn.clear();
      if (leftover != null) {
        in.put(leftover);
        leftover = null;
      }
      int n = ch.read(in);
      in.flip();
      process(in);
      if (in.hasRemaining()) {
        leftover = ByteBuffer.allocate(in.remaining()).put(in).flip();
      }
      if (n < 0 && !ended) {
        key.interestOps(0);
        if (!closeNotifyReceived) {
          end("EOF without close_notify");
        }
      }
    } catch (IOException e) {
      end(e.toString());
    }
  }

  private void process(ByteBuffer in) throws IOException {
    for (; ; ) {
      if (!handshaken) {
        switch (ssl.getHandshakeStatus()) {
          case NEED_TASK -> {
            Runnable t;
            while ((t = ssl.getDelegatedTask()) != null) {
              t.run();
            }
          }
          case NEED_WRAP -> {
            ByteBuffer out = loop.netOut.clear();
            SSLEngineResult r = ssl.wrap(EMPTY, out);
            if (r.getStatus() == SSLEngineResult.Status.CLOSED) {
              throw new SSLException("closed during the handshake");
            }
            if (!write(out.flip())) {
              return;
            }
          }
          case NEED_UNWRAP, NEED_UNWRAP_AGAIN -> {
            if (!unwrap(in)) {
              return;
            }
          }
          default -> {
            handshaken = true;
            events.handshaken(this);
          }
        }
      } else if (closeNotifyReceived || !unwrap(in)) {
        return;
      }
    }
  }

  /**
   * @return false when more input is needed or the peer's close_notify has arrived
   */
  private boolean unwrap(ByteBuffer in) throws IOException {
    if (!in.hasRemaining()) {
      return false;
    }
    SSLEngineResult r = ssl.unwrap(in, loop.app.clear());
    switch (r.getStatus()) {
      case BUFFER_UNDERFLOW:
        return false;
      case CLOSED:
        closeNotifyReceived = true;
        if (unwritten == null) {
          key.interestOps(0);
        }
        events.closeNotify(this);
        return false;
      case BUFFER_OVERFLOW:
        throw new SSLException("record larger than the scratch buffer");
      default:
        if (handshaken && r.getHandshakeStatus() == SSLEngineResult.HandshakeStatus.NEED_TASK) {
          Runnable t;
          while ((t = ssl.getDelegatedTask()) != null) {
            t.run(); // a TLS 1.3 session ticket
          }
        }
        return true;
    }
  }

  /**
   * @return true when the socket took everything; else the rest waits for OP_WRITE
   */
  private boolean write(ByteBuffer out) throws IOException {
    ch.write(out);
    if (!out.hasRemaining()) {
      return true;
    }
    unwritten = ByteBuffer.allocate(out.remaining()).put(out).flip();
    key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
    return false;
  }

  private void end(String why) {
    if (!ended) {
      ended = true;
      key.cancel();
      events.ended(this, why);
    }
  }
}
