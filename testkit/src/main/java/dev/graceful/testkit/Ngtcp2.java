package dev.graceful.testkit;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * ngtcp2's example peers (Debian {@code ngtcp2-server} / {@code ngtcp2-client}: {@code gtlsserver},
 * {@code gtlsclient}, HTTP/3 over QUIC v1, ALPN {@code h3}) and what their debug logs say. Test
 * code: the logs are ngtcp2's own account of what arrived, independent of the QUIC stack under test
 * and of graceful.
 */
public final class Ngtcp2 {
  private Ngtcp2() {}

  /** How long a peer is given to start. */
  public static final Duration START = Duration.ofSeconds(10);

  /** Debian installs the server in /usr/sbin, which is not on every PATH. */
  private static final String SERVER =
      java.nio.file.Files.isExecutable(Path.of("/usr/sbin/gtlsserver"))
          ? "/usr/sbin/gtlsserver"
          : "gtlsserver";

  /** {@code gtlsserver} on 127.0.0.1:{@code port} serving {@code htdocs}, frame log on. */
  public static PeerProcess server(int port, TestCerts certs, Path htdocs, String... extra) {
    List<String> cmd =
        new ArrayList<>(List.of(SERVER, "--no-quic-dump", "--no-http-dump", "--htdocs=" + htdocs));
    cmd.addAll(List.of(extra));
    cmd.addAll(
        List.of(
            "127.0.0.1",
            Integer.toString(port),
            certs.keyFile().toString(),
            certs.certFile().toString()));
    PeerProcess p = PeerProcess.command(cmd);
    p.awaitLine("Using document root", START);
    return p;
  }

  /** {@code gtlsclient} fetching {@code path} from 127.0.0.1:{@code port} into {@code download}. */
  public static PeerProcess client(int port, String path, Path download, String... extra) {
    List<String> cmd =
        new ArrayList<>(
            List.of("gtlsclient", "--no-quic-dump", "--no-http-dump", "--download=" + download));
    cmd.addAll(List.of(extra));
    cmd.addAll(List.of("127.0.0.1", Integer.toString(port), "https://127.0.0.1:" + port + path));
    return PeerProcess.command(cmd);
  }

  /** A CONNECTION_CLOSE as ngtcp2 logged it (non-printable reason bytes appear as '.'). */
  public record Close(long code, int reasonLength, String reason) {}

  private static final Pattern CLOSE =
      Pattern.compile(
          "frm rx \\d+ \\S+ CONNECTION_CLOSE\\(0x1[cd]\\) error_code=\\S*\\(0x([0-9a-f]+)\\) frame_type=\\S+ reason_len=(\\d+) reason=\\[(.*)\\]$");
  private static final Pattern STREAM =
      Pattern.compile(
          "frm rx \\d+ \\S+ STREAM\\(0x[0-9a-f]+\\) id=0x([0-9a-f]+) fin=\\d offset=(\\d+) len=(\\d+)");

  /** The first CONNECTION_CLOSE the peer received, if any. */
  public static Optional<Close> receivedClose(PeerProcess p) {
    for (String l : p.lines()) {
      Matcher m = CLOSE.matcher(l);
      if (m.find()) {
        return Optional.of(
            new Close(Long.parseLong(m.group(1), 16), Integer.parseInt(m.group(2)), m.group(3)));
      }
    }
    return Optional.empty();
  }

  /**
   * The contiguous prefix of stream {@code id} that the peer received before any CONNECTION_CLOSE:
   * received frames merged by offset, duplicates and reordering included.
   */
  public static long contiguousBeforeClose(PeerProcess p, long id) {
    TreeMap<Long, Long> ranges = new TreeMap<>();
    for (String l : p.lines()) {
      if (CLOSE.matcher(l).find()) {
        break;
      }
      Matcher m = STREAM.matcher(l);
      if (m.find() && Long.parseLong(m.group(1), 16) == id) {
        long off = Long.parseLong(m.group(2));
        ranges.merge(off, off + Long.parseLong(m.group(3)), Math::max);
      }
    }
    long end = 0;
    for (var r : ranges.entrySet()) {
      if (r.getKey() > end) {
        break;
      }
      end = Math.max(end, r.getValue());
    }
    return end;
  }

  // HTTP/3 framing (RFC 9114) with QPACK static-table references only (RFC 9204), enough to be a
  // well-behaved peer of ngtcp2's examples.

  /** A control stream's opening: stream type 0x00, then an empty SETTINGS frame. */
  public static byte[] controlStream() {
    return new byte[] {0x00, 0x04, 0x00};
  }

  /**
   * HEADERS for {@code POST /} to {@code authority}, then a DATA frame header for {@code
   * bodyLength}.
   */
  public static byte[] postHead(String authority, int bodyLength) {
    byte[] auth = authority.getBytes(StandardCharsets.US_ASCII);
    ByteArrayOutputStream fields = new ByteArrayOutputStream();
    // field section prefix (no dynamic table), :method POST (static 20), :scheme https (23), :path
    // / (1)
    fields.writeBytes(new byte[] {0x00, 0x00, (byte) 0xD4, (byte) 0xD7, (byte) 0xC1});
    fields.write(0x50); // literal with static name reference 0 (:authority)
    fields.write(auth.length);
    fields.writeBytes(auth);
    return frames(fields.toByteArray(), bodyLength);
  }

  /** HEADERS for {@code :status 200}, then a DATA frame header for {@code bodyLength}. */
  public static byte[] responseHead(int bodyLength) {
    return frames(new byte[] {0x00, 0x00, (byte) 0xD9}, bodyLength);
  }

  private static byte[] frames(byte[] fieldSection, int bodyLength) {
    ByteArrayOutputStream f = new ByteArrayOutputStream();
    f.write(0x01); // HEADERS
    f.write(fieldSection.length);
    f.writeBytes(fieldSection);
    f.write(0x00); // DATA, 4-byte varint length
    f.writeBytes(
        new byte[] {
          (byte) (0x80 | bodyLength >>> 24),
          (byte) (bodyLength >>> 16),
          (byte) (bodyLength >>> 8),
          (byte) bodyLength
        });
    return f.toByteArray();
  }
}
