package dev.graceful.tls;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSession;

/**
 * T9: removes one connection's session from resumption, and nothing else.
 *
 * <p>"If the session is still open, when SSL_clear(3) or SSL_free(3) is called, it is considered
 * bad and removed": the session is the connection's own. Invalidating it through {@link
 * SSLSession#invalidate()} removes it from its context's cache, and with it the TLS 1.3 resumption
 * tickets the JDK derived from it on this connection (they are the session's children). Sessions of
 * other connections to the same host and port, and the tickets they received, are left alone: a
 * connection that ended badly says nothing about the others.
 *
 * <p>Two connections that resumed the same TLS 1.2 session share it, as they share an {@code
 * SSL_SESSION} in OpenSSL: an unclean end of either makes it unresumable for both. A limit of the
 * JDK's client cache: it finds a session to resume by the peer's host and port, one entry per pair,
 * and removing any session of that pair from the cache empties the entry; a later connection then
 * makes a full handshake (nothing is resumed wrongly), though the other sessions stay valid.
 */
final class SessionCache {
  private SessionCache() {}

  static void invalidate(SSLEngine ssl) {
    ssl.getSession().invalidate();
  }
}
