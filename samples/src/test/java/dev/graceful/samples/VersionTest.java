package dev.graceful.samples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class VersionTest {
  @Test
  void versionOptionPrintsThePomVersion() {
    String pom = System.getProperty("graceful.pomVersion");
    assertThat(pom).as("the build passes the POM's version to the test").isNotBlank();
    StringWriter out = new StringWriter();
    int code = new CommandLine(new Main()).setOut(new PrintWriter(out)).execute("--version");
    assertThat(code).isZero();
    assertThat(out.toString().strip()).isEqualTo("graceful " + pom);
  }
}
