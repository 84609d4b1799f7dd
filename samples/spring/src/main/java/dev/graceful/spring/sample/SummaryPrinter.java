package dev.graceful.spring.sample;

import dev.graceful.spring.GracefulShutdownEvent;
import dev.graceful.spring.ShutdownSummary;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * Prints the shutdown's summary as one JSON line on stdout, e.g. {@code {"connections":2,
 * "outcomes":{"COMPLETE":2},"errors":{},"forced":0,"refused":0,"elapsedMs":1210}} (the sample's
 * logs go to stderr, so stdout holds this line alone).
 */
@Component
public class SummaryPrinter {
  // tag::summary-printer[]
  @EventListener
  void print(GracefulShutdownEvent event) {
    System.out.println(ShutdownSummary.of(event.report()).toJson());
    System.out.flush();
  }
  // end::summary-printer[]
}
