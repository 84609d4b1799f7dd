package dev.graceful.netty.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * T11: the peer's alerts are known from its records' bytes, however the transport cuts them, and
 * reading never moves the bytes on their way to the {@code SslHandler}.
 */
@Tag("T11")
class TlsRecordReaderTest {
  static final byte[] APPLICATION_DATA = {23, 3, 3, 0, 3, 9, 9, 9};
  static final byte[] FATAL_BAD_CERTIFICATE = {21, 3, 3, 0, 2, 2, 42};
  static final byte[] WARNING_UNRECOGNIZED_NAME = {21, 3, 3, 0, 2, 1, 112};

  static void read(TlsRecordReader r, byte[]... chunks) {
    for (byte[] c : chunks) {
      ByteBuf b = Unpooled.wrappedBuffer(c);
      r.read(b);
      assertThat(b.readerIndex()).as("not consumed").isZero();
      b.release();
    }
  }

  static byte[] concat(byte[]... parts) {
    ByteBuf b = Unpooled.buffer();
    for (byte[] p : parts) {
      b.writeBytes(p);
    }
    byte[] all = new byte[b.readableBytes()];
    b.readBytes(all);
    b.release();
    return all;
  }

  @Test
  void fatalAlertCutAcrossReadsIsRecognised() {
    TlsRecordReader r = new TlsRecordReader();
    byte[] all = concat(APPLICATION_DATA, FATAL_BAD_CERTIFICATE);
    for (int i = 0; i < all.length; i++) {
      read(r, new byte[] {all[i]}); // one byte a read, the hardest cut
    }
    assertThat(r.fatalAlert()).isEqualTo(new TlsAlert(TlsAlert.FATAL, 42));
    assertThat(r.fatalAlert()).hasToString("fatal alert bad_certificate (42)");
    assertThat(r.lastRecordAlert()).isEqualTo(r.fatalAlert());
  }

  @Test
  void warningIsNotFatalAndALaterRecordClearsTheLastAlert() {
    TlsRecordReader r = new TlsRecordReader();
    read(r, WARNING_UNRECOGNIZED_NAME);
    assertThat(r.fatalAlert()).isNull();
    assertThat(r.lastRecordAlert()).hasToString("warning alert unrecognized_name (112)");
    read(r, APPLICATION_DATA);
    assertThat(r.lastRecordAlert()).isNull();
  }

  @Test
  void encryptedAlertRecordIsAnAlertWithoutItsDescription() {
    TlsRecordReader r = new TlsRecordReader();
    byte[] encrypted = new byte[5 + 26];
    encrypted[0] = 21;
    encrypted[1] = 3;
    encrypted[2] = 3;
    encrypted[4] = 26;
    read(r, concat(APPLICATION_DATA, encrypted));
    assertThat(r.lastRecordAlert()).isEqualTo(TlsAlert.encrypted());
    assertThat(r.fatalAlert()).isNull();
  }

  @Test
  void bytesThatAreNotTlsEndTheReading() {
    TlsRecordReader r = new TlsRecordReader();
    read(
        r,
        "GET / HTTP/1.1\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII),
        FATAL_BAD_CERTIFICATE);
    assertThat(r.fatalAlert()).isNull();
    assertThat(r.lastRecordAlert()).isNull();
  }
}
