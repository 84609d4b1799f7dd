package dev.graceful.tls;

import java.util.Collections;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSessionContext;

/**
 * T9: removes a connection's session from resumption. The JDK keeps TLS 1.3 resumption tickets as
 * separate sessions in the client cache, keyed by the peer's host and port; those created by this
 * connection (at or after its own session's creation) are removed with it.
 */
final class SessionCache {
  private SessionCache() {}

  static void invalidate(SSLContext context, SSLEngine ssl) {
    SSLSession session = ssl.getSession();
    session.invalidate();
    if (!ssl.getUseClientMode()) {
      return;
    }
    SSLSessionContext cache = context.getClientSessionContext();
    for (byte[] id : Collections.list(cache.getIds())) {
      SSLSession cached = cache.getSession(id);
      if (cached != null
          && cached.getPeerPort() == session.getPeerPort()
          && String.valueOf(cached.getPeerHost()).equals(String.valueOf(session.getPeerHost()))
          && cached.getCreationTime() >= session.getCreationTime()) {
        cached.invalidate();
      }
    }
  }
}
