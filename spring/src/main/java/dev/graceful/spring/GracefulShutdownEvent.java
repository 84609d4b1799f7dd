package dev.graceful.spring;

import dev.graceful.core.ShutdownReport;
import java.util.Objects;
import org.springframework.context.ApplicationEvent;

/**
 * Published once the web server's graceful shutdown has ended, with its report (G5): how every
 * connection ended, the stragglers forced at the deadline, the requests refused while draining.
 * Listeners run while the application context closes, on a thread that may block.
 */
public final class GracefulShutdownEvent extends ApplicationEvent {
  private static final long serialVersionUID = 1L;

  /** The report; not serialized with the event (events are not sent anywhere). */
  private final transient ShutdownReport report;

  /**
   * @param source the lifecycle that ran the shutdown
   * @param report its report
   */
  public GracefulShutdownEvent(Object source, ShutdownReport report) {
    super(source);
    this.report = Objects.requireNonNull(report, "report");
  }

  /**
   * @return how the shutdown ended
   */
  public ShutdownReport report() {
    return report;
  }
}
