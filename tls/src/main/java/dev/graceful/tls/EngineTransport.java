package dev.graceful.tls;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.Executor;

/** A {@link TlsTransport} as its engine sees it. */
final class EngineTransport implements dev.graceful.tls.internal.TlsTransport {
  private final TlsTransport transport;

  EngineTransport(TlsTransport transport) {
    this.transport = transport;
  }

  @Override
  public Executor executor() {
    return transport.executor();
  }

  @Override
  public int read(ByteBuffer dst) throws IOException {
    return transport.read(dst);
  }

  @Override
  public int write(ByteBuffer src) throws IOException {
    return transport.write(src);
  }

  @Override
  public void awaitReadiness(boolean forWrite, Runnable onReady) {
    transport.awaitReadiness(forWrite, onReady);
  }

  @Override
  public void cancelReadiness(Runnable onReady) {
    transport.cancelReadiness(onReady);
  }

  @Override
  public void close() {
    transport.close();
  }

  @Override
  public boolean isOpen() {
    return transport.isOpen();
  }

  @Override
  public String describe() {
    return transport.describe();
  }
}
