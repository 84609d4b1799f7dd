package dev.graceful.spring;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A plain HTTP/1.1 client connection on a socket (TCP or TLS), byte for byte, so that a test sees
 * exactly what the server sent: each header, the chunked framing, where the stream ends.
 */
final class Http1Connection implements AutoCloseable {
  /** A response as it came. */
  record Response(int status, Map<String, String> headers, String body, boolean chunkedEndSeen) {
    String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }
  }

  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;

  Http1Connection(Socket socket) throws IOException {
    this.socket = socket;
    socket.setSoTimeout(20_000); // a bound on a broken server, not a wait for anything
    this.in = socket.getInputStream();
    this.out = socket.getOutputStream();
  }

  void get(String path) throws IOException {
    out.write(
        ("GET " + path + " HTTP/1.1\r\nHost: localhost\r\nAccept: */*\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII));
    out.flush();
  }

  Response response() throws IOException {
    Response head = head();
    int code = head.status();
    Map<String, String> headers = head.headers();
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    boolean chunkedEnd = false;
    if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
      for (int size = Integer.parseInt(line().trim(), 16);
          size > 0;
          size = Integer.parseInt(line().trim(), 16)) {
        body.write(in.readNBytes(size));
        if (size > 0 && !line().isEmpty()) {
          throw new IOException("chunk not followed by CRLF");
        }
      }
      chunkedEnd = line().isEmpty(); // the last chunk's empty trailer section
    } else {
      int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
      byte[] b = in.readNBytes(length);
      if (b.length < length) {
        throw new EOFException("body cut at " + b.length + " of " + length + " bytes");
      }
      body.write(b);
    }
    return new Response(code, headers, body.toString(StandardCharsets.UTF_8), chunkedEnd);
  }

  /**
   * Reads a response's status line and headers only; a chunked body is then read with {@link
   * #chunk()}.
   *
   * @return the response without its body
   */
  Response head() throws IOException {
    String status = line();
    int code = Integer.parseInt(status.split(" ")[1]);
    Map<String, String> headers = new HashMap<>();
    for (String h = line(); !h.isEmpty(); h = line()) {
      int colon = h.indexOf(':');
      headers.merge(
          h.substring(0, colon).trim().toLowerCase(Locale.ROOT),
          h.substring(colon + 1).trim(),
          (a, b) -> a + ", " + b);
    }
    return new Response(code, headers, "", false);
  }

  /**
   * Reads the next chunk of a chunked body.
   *
   * @return its bytes; none for the zero-length chunk that ends the body (its empty trailer section
   *     read too)
   * @throws EOFException when the connection ends inside the chunk
   */
  byte[] chunk() throws IOException {
    int size = Integer.parseInt(line().trim(), 16);
    if (size == 0) {
      if (!line().isEmpty()) {
        throw new IOException("trailers after the last chunk");
      }
      return new byte[0];
    }
    byte[] b = in.readNBytes(size);
    if (b.length < size) {
      throw new EOFException("chunk cut at " + b.length + " of " + size + " bytes");
    }
    if (!line().isEmpty()) {
      throw new IOException("chunk not followed by CRLF");
    }
    return b;
  }

  /**
   * @return true when the server closed its side cleanly (for TLS: after its close_notify)
   */
  boolean endsWithoutMoreBytes() throws IOException {
    return in.read() == -1;
  }

  private String line() throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    for (int c = in.read(); c != '\n'; c = in.read()) {
      if (c == -1) {
        throw new EOFException(
            "connection ended inside a line: " + b.toString(StandardCharsets.US_ASCII));
      }
      if (c != '\r') {
        b.write(c);
      }
    }
    return b.toString(StandardCharsets.US_ASCII);
  }

  /** Closes the socket: over TLS, sends our close_notify first (answering the server's). */
  void hangUp() throws IOException {
    socket.close();
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
