package dev.graceful.quic;

import dev.graceful.core.CloseInfo;
import dev.graceful.core.ShutdownException;
import dev.graceful.core.ShutdownResult;
import dev.graceful.core.ShutdownState;
import dev.graceful.core.spi.ShutdownEngine;
import dev.graceful.core.spi.ShutdownRequest;
import dev.graceful.core.spi.Step;
import dev.graceful.quic.internal.KwikEngine;
import java.util.concurrent.Executor;
import org.jspecify.annotations.Nullable;

/**
 * A {@link KwikEngine} under each request's {@link QuicShutdown}: the engine names no type of this
 * package, which builds on it, so QUIC's own options reach it from here.
 */
final class QuicShutdownEngine implements ShutdownEngine {
  private final KwikEngine kwik;
  private boolean closeGiven; // loop only

  QuicShutdownEngine(KwikEngine kwik) {
    this.kwik = kwik;
  }

  KwikEngine kwik() {
    return kwik;
  }

  private static QuicShutdown quic(ShutdownRequest request) {
    return request.option(QuicShutdown.class).orElse(QuicShutdown.defaults());
  }

  @Override
  public Step step(ShutdownRequest request) throws ShutdownException {
    if (!closeGiven) {
      // Q2, Q4: the first shutdown the engine accepts fixes the arguments that are sent
      QuicCloseArguments close = quic(request).checkedClose(kwik.connectionId());
      kwik.closeWith(close.errorCode(), close.reason());
    }
    Step answer = kwik.step(request); // a refused shutdown (a quiet one, say) fixes nothing
    closeGiven = true;
    return answer;
  }

  @Override
  public boolean noBlock(ShutdownRequest request) {
    return quic(request).isNoBlock();
  }

  @Override
  public String connectionId() {
    return kwik.connectionId();
  }

  @Override
  public String protocolFamily() {
    return kwik.protocolFamily();
  }

  @Override
  public Executor executor() {
    return kwik.executor();
  }

  @Override
  public ShutdownState state() {
    return kwik.state();
  }

  @Override
  public void awaitReadiness(Step want, Runnable onReady) {
    kwik.awaitReadiness(want, onReady);
  }

  @Override
  public void cancelReadiness(Runnable onReady) {
    kwik.cancelReadiness(onReady);
  }

  @Override
  public void closeTransport() {
    kwik.closeTransport();
  }

  @Override
  public @Nullable CloseInfo closeInfo() {
    return kwik.closeInfo();
  }

  @Override
  public ShutdownResult.Builder describe() {
    return kwik.describe();
  }

  @Override
  public long connectionBytesRead() {
    return kwik.connectionBytesRead();
  }
}
