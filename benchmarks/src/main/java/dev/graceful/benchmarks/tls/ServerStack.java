package dev.graceful.benchmarks.tls;

/** A TLS server under test: accepts and handshakes, then shuts every connection down at once. */
interface ServerStack extends AutoCloseable {
  /** How each connection is ended. */
  enum Mode {
    /** Send close_notify, done when the peer's close_notify is received. */
    BIDIRECTIONAL,
    /** Send close_notify, done when it is handed to the socket. */
    FAST
  }

  /** Told once per connection; from any thread. */
  interface Completion {
    void done();

    void failed(Throwable cause);
  }

  int port();

  /**
   * @return connections handshaken so far
   */
  int handshaken();

  /** Where each connection's shutdown is started. */
  enum Start {
    /** On the loop that owns the connection, one task per loop going through its connections. */
    LOOP,
    /** From the calling thread, connection by connection; each start hops to its loop. */
    CALLER
  }

  /** Starts every connection's shutdown; returns at once. */
  void shutdownAll(Mode mode, Start start, Completion completion);

  /**
   * @return connections whose close_notify was handed to the socket (for pending shutdowns)
   */
  int sent();

  @Override
  void close();
}
