package dev.graceful.netty.internal;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * Sits right before the {@code SslHandler} (or the SNI handler that installs one): reads the TLS
 * records the peer sends, as they pass on unchanged, so that an alert is known from the bytes on
 * the wire rather than from what an engine's exception says (see {@link TlsRecordReader}). Once the
 * {@code SslHandler} has processed bytes that held the peer's first fatal alert in the clear, it
 * tells the connection: "upon transmission or receipt of a fatal alert message, both parties MUST
 * immediately close the connection" (RFC 8446 §6.2), though an engine may go on without reporting
 * it (BoringSSL does until the next read or write).
 */
public final class TlsRecordWatch extends ChannelInboundHandlerAdapter {
  /** The name it has in a pipeline. */
  public static final String NAME = "graceful.tlsRecords";

  private final TlsRecordReader records;
  private final Runnable onFatalAlert;
  private boolean told;

  /**
   * @param records where the records are followed
   * @param onFatalAlert runs on the event loop, once, after the bytes holding the peer's first
   *     fatal alert went on to the {@code SslHandler}
   */
  public TlsRecordWatch(TlsRecordReader records, Runnable onFatalAlert) {
    this.records = records;
    this.onFatalAlert = onFatalAlert;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof ByteBuf b) {
      records.read(b);
    }
    ctx.fireChannelRead(msg);
    if (!told && records.fatalAlert() != null) {
      told = true;
      onFatalAlert.run();
    }
  }
}
