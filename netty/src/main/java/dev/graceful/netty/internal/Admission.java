package dev.graceful.netty.internal;

/** What {@link Http1Drain} asks a draining connection, on the connection's event loop. */
public interface Admission {
  /**
   * @return true when a request may still be dispatched (it then counts as in flight until {@link
   *     #done()}); false once the connection's shutdown has begun (its in-flight exchanges ended,
   *     or its close went out)
   */
  boolean admit();

  /** A request admitted by {@link #admit()} has had its response written, or never will. */
  void done();

  /** A request arrived after the connection was told to close and was not dispatched. */
  void refused();
}
