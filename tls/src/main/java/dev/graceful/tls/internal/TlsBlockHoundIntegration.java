package dev.graceful.tls.internal;

import reactor.blockhound.BlockHound;
import reactor.blockhound.integration.BlockHoundIntegration;

/**
 * The one wait the JDK's TLS engine makes on a loop thread: {@code NativePRNG} reads {@code
 * /dev/urandom} for handshake randoms (ClientHello/ServerHello random, key shares). On Linux that
 * read never blocks once the kernel's pool is initialised, which is before any user process runs,
 * so it is allowed here and nowhere else. Delegated tasks already run off the loop.
 */
public final class TlsBlockHoundIntegration implements BlockHoundIntegration {
  @Override
  public void applyTo(BlockHound.Builder builder) {
    builder.allowBlockingCallsInside("sun.security.provider.NativePRNG$RandomIO", "implNextBytes");
    builder.allowBlockingCallsInside("sun.security.provider.NativePRNG$RandomIO", "implSetSeed");
  }
}
