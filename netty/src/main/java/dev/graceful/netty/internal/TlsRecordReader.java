package dev.graceful.netty.internal;

import io.netty.buffer.ByteBuf;
import org.jspecify.annotations.Nullable;

/**
 * Follows the TLS record layer of the bytes a peer sends, as they arrive, without copying or
 * consuming them, and notes the alerts among the records: "struct { ContentType type;
 * ProtocolVersion legacy_record_version; uint16 length; opaque fragment[length]; } TLSPlaintext"
 * (RFC 8446 §5.1), an alert being content type 21 whose fragment, in the clear, is "struct {
 * AlertLevel level; AlertDescription description; } Alert" (§6). Only the five header bytes of each
 * record and the two bytes of a cleartext alert are looked at; the rest is skipped.
 *
 * <p>Bytes that do not frame as TLS records (an SSLv2-format hello, something that is not TLS at
 * all) end the reading: from then on nothing is noted. Event loop only.
 */
public final class TlsRecordReader {
  private static final int HEADER = 5;
  private static final int ALERT = 21;

  /** "The length MUST NOT exceed 2^14 + 256 bytes" for TLS 1.3; TLS 1.2 allows 2^14 + 2048. */
  private static final int MAX_LENGTH = (1 << 14) + 2048;

  private final byte[] header = new byte[HEADER];
  private int headerBytes;
  private int bodyLeft;
  private boolean inBody;
  private int alertBytes;
  private int alertLevel;
  private boolean lost;
  private @Nullable TlsAlert fatal;
  private @Nullable TlsAlert lastAlert;

  /**
   * Reads the readable bytes of {@code in}, leaving its indices as they are.
   *
   * @param in the next bytes from the peer, in order
   */
  public void read(ByteBuf in) {
    int i = in.readerIndex();
    int end = in.writerIndex();
    while (i < end && !lost) {
      if (!inBody) {
        header[headerBytes++] = in.getByte(i++);
        if (headerBytes == HEADER) {
          startBody();
        }
        continue;
      }
      int n = Math.min(bodyLeft, end - i);
      if (cleartextAlert()) {
        for (int k = 0; k < n; k++) {
          alertByte(in.getByte(i + k));
        }
      }
      i += n;
      bodyLeft -= n;
      if (bodyLeft == 0) {
        endRecord();
      }
    }
  }

  private void startBody() {
    int type = header[0] & 0xff;
    int major = header[1] & 0xff;
    int length = ((header[3] & 0xff) << 8) | (header[4] & 0xff);
    if (type < 20 || type > 24 || major != 3 || length > MAX_LENGTH) {
      lost = true; // not TLS framing: nothing more can be told from these bytes
      return;
    }
    headerBytes = 0;
    inBody = true;
    bodyLeft = length;
    alertBytes = 0;
    if (length == 0) {
      endRecord();
    }
  }

  /**
   * An alert's fragment is two bytes in the clear; an encrypted one carries a tag or MAC as well.
   */
  private boolean cleartextAlert() {
    return (header[0] & 0xff) == ALERT && bodyLength() == 2;
  }

  private int bodyLength() {
    return ((header[3] & 0xff) << 8) | (header[4] & 0xff);
  }

  private void alertByte(byte b) {
    if (alertBytes++ == 0) {
      alertLevel = b & 0xff;
    } else {
      TlsAlert alert = new TlsAlert(alertLevel, b & 0xff);
      lastAlert = alert;
      if (alert.isFatal() && fatal == null) {
        fatal = alert;
      }
    }
  }

  private void endRecord() {
    inBody = false;
    if ((header[0] & 0xff) != ALERT) {
      lastAlert = null;
    } else if (!cleartextAlert()) {
      lastAlert = TlsAlert.encrypted();
    }
  }

  /**
   * @return the first fatal alert the peer sent in the clear, or null
   */
  public @Nullable TlsAlert fatalAlert() {
    return fatal;
  }

  /**
   * @return the alert in the last complete record, when that record was an alert (in the clear, or
   *     {@linkplain TlsAlert#encrypted() encrypted}); null when it was another record
   */
  public @Nullable TlsAlert lastRecordAlert() {
    return lastAlert;
  }
}
