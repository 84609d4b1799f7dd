package dev.graceful.tls.internal;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Tells whether a handshake resumed a session, from the two plaintext hello messages, because the
 * JDK exposes no such signal (a resumed server session is a new object with a new creation time).
 *
 * <ul>
 *   <li>TLS 1.3 (RFC 8446 §4.2.11): "the server MUST ... [send] the pre_shared_key extension" in
 *       its ServerHello when it accepts a PSK, i.e. resumes.
 *   <li>TLS 1.2 (RFC 5246 §7.4.1.3, RFC 5077 §3.4): the server resumes by answering with the same
 *       non-empty session_id the client offered.
 * </ul>
 *
 * Fed with the first bytes of each direction before encryption starts; it looks only at the first
 * handshake record of each, and gives up (reports not resumed) on anything it cannot parse. A DTLS
 * HelloVerifyRequest is skipped; the session id of the first ClientHello is the one offered.
 */
final class HelloObserver {
  private static final int HANDSHAKE = 22;
  private static final int CLIENT_HELLO = 1;
  private static final int SERVER_HELLO = 2;
  private static final int PRE_SHARED_KEY = 41;
  private static final int SUPPORTED_VERSIONS = 43;

  private byte[] clientSessionId;
  private byte[] serverSessionId;
  private boolean serverPsk;
  private boolean serverTls13;
  private boolean clientDone;
  private boolean serverDone;
  private final int recordHeader;
  private final int handshakeHeader;

  /**
   * @param datagram true for DTLS (13-byte record headers, 12-byte handshake headers)
   */
  HelloObserver(boolean datagram) {
    this.recordHeader = datagram ? 13 : 5;
    this.handshakeHeader = datagram ? 12 : 4;
  }

  /**
   * @return true once both hellos were seen (no more bytes need to be shown)
   */
  boolean done() {
    return clientDone && serverDone;
  }

  /**
   * Offers bytes in one direction, in read mode; the buffer is not modified.
   *
   * @param bytes bytes as sent on the wire
   */
  void observe(ByteBuffer bytes) {
    if (done()) {
      return;
    }
    try {
      parse(bytes.duplicate());
    } catch (RuntimeException malformed) {
      // BufferUnderflow / IllegalArgument on a malformed hello: the engine reports the real error.
    }
  }

  private void parse(ByteBuffer b) {
    if (b.remaining() < recordHeader + handshakeHeader
        || (b.get(b.position()) & 0xff) != HANDSHAKE) {
      return;
    }
    int recordLength = b.getShort(b.position() + recordHeader - 2) & 0xffff;
    if (b.remaining() < recordHeader + recordLength) {
      return; // not all here yet; the next offer will have it
    }
    b.position(b.position() + recordHeader);
    b.limit(b.position() + recordLength);
    int type = b.get() & 0xff;
    b.position(b.position() + handshakeHeader - 1);
    if (type == CLIENT_HELLO && !clientDone) {
      clientDone = true;
      b.position(b.position() + 2 + 32);
      clientSessionId = bytes(b, b.get() & 0xff);
    } else if (type == SERVER_HELLO && !serverDone) {
      serverDone = true;
      b.position(b.position() + 2 + 32);
      serverSessionId = bytes(b, b.get() & 0xff);
      b.position(b.position() + 2 + 1); // cipher suite, compression
      if (b.remaining() >= 2) {
        int end = (b.getShort() & 0xffff) + b.position();
        while (b.position() + 4 <= end) {
          int ext = b.getShort() & 0xffff;
          int extLength = b.getShort() & 0xffff;
          if (ext == PRE_SHARED_KEY) {
            serverPsk = true;
          } else if (ext == SUPPORTED_VERSIONS) {
            serverTls13 = true;
          }
          b.position(b.position() + extLength);
        }
      }
    }
  }

  /**
   * @return true if the observed hellos show a resumed session
   */
  boolean resumed() {
    if (serverTls13) {
      return serverPsk;
    }
    return clientSessionId != null
        && serverSessionId != null
        && clientSessionId.length > 0
        && Arrays.equals(clientSessionId, serverSessionId);
  }

  private static byte[] bytes(ByteBuffer b, int n) {
    byte[] out = new byte[n];
    b.get(out);
    return out;
  }
}
