package dev.graceful.spring.sample;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * The sample: a WebFlux application on reactor-netty with the graceful starter.
 *
 * <pre>
 * java -jar samples/spring/target/graceful-spring-sample.jar --server.port=8080 [--sample.tls=true]
 * </pre>
 *
 * On SIGTERM it drains (readiness goes down, the server stops accepting, in-flight requests finish,
 * event streams send their last event, every connection ends by close_notify or FIN), prints one
 * JSON summary line on stdout ({@link SummaryPrinter}; logs go to stderr) and exits.
 */
@SpringBootApplication
public class SampleApplication {
  /**
   * @param args Spring Boot's command line, e.g. {@code --server.port=8080 --sample.tls=true}
   */
  public static void main(String[] args) {
    SpringApplication.run(SampleApplication.class, args);
  }
}
