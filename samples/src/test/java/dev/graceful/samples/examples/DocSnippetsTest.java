package dev.graceful.samples.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every Java sample in README.md and docs/*.md is a region of a source file that the build compiles
 * and a test runs. A sample is written as
 *
 * <pre>
 * &lt;!-- include: samples/src/main/java/dev/graceful/samples/examples/TlsClientExample.java#tls-client --&gt;
 * ```java
 * ...the lines between "// tag::tls-client[]" and "// end::tls-client[]", less their common indentation...
 * ```
 * </pre>
 *
 * The path is relative to the repository's root. This test fails when a {@code java} block has no
 * such marker (except on the pages of {@link #UNMARKED_ALLOWED}), when the marker names a missing
 * file or tag, or when the block differs from the region.
 */
class DocSnippetsTest {
  static final Pattern INCLUDE = Pattern.compile("^<!-- include: (\\S+)#([\\w.-]+) -->\\s*$");

  /**
   * Pages whose {@code java} blocks may still lack a marker (their samples are not yet regions of
   * compiled sources). Their marked blocks are checked all the same. Remove a page once every
   * sample in it is marked.
   */
  static final Set<String> UNMARKED_ALLOWED = Set.of();

  /**
   * @return the repository's root: the directory above samples/ holding README.md
   */
  static Path root() {
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null
        && !(Files.isRegularFile(dir.resolve("README.md"))
            && Files.isDirectory(dir.resolve("samples")))) {
      dir = dir.getParent();
    }
    assertThat(dir).as("repository root above %s", Path.of("").toAbsolutePath()).isNotNull();
    return dir;
  }

  static List<Path> pages(Path root) throws IOException {
    List<Path> pages = new ArrayList<>();
    pages.add(root.resolve("README.md"));
    Path docs = root.resolve("docs");
    if (Files.isDirectory(docs)) {
      try (Stream<Path> s = Files.list(docs)) {
        s.filter(p -> p.toString().endsWith(".md")).sorted().forEach(pages::add);
      }
    }
    return pages;
  }

  /**
   * @return the lines between {@code // tag::name[]} and {@code // end::name[]} in {@code source},
   *     without their common indentation
   */
  static List<String> region(Path source, String tag) throws IOException {
    List<String> lines = Files.readAllLines(source);
    int start = -1;
    int end = -1;
    for (int i = 0; i < lines.size(); i++) {
      String t = lines.get(i).trim();
      if (t.equals("// tag::" + tag + "[]")) {
        start = i + 1;
      } else if (t.equals("// end::" + tag + "[]") && start >= 0) {
        end = i;
        break;
      }
    }
    if (start < 0 || end < 0) {
      throw new AssertionError(
          "no region '" + tag + "' (// tag::" + tag + "[] ... // end::" + tag + "[]) in " + source);
    }
    List<String> region = lines.subList(start, end);
    int indent =
        region.stream()
            .filter(l -> !l.isBlank())
            .mapToInt(l -> l.length() - l.stripLeading().length())
            .min()
            .orElse(0);
    return region.stream().map(l -> l.isBlank() ? "" : l.substring(indent)).toList();
  }

  @Test
  void everyJavaSampleIsACompiledRegionQuotedExactly() throws IOException {
    Path root = root();
    List<String> problems = new ArrayList<>();
    int checked = 0;
    for (Path page : pages(root)) {
      List<String> lines = Files.readAllLines(page);
      String name = root.relativize(page).toString();
      for (int i = 0; i < lines.size(); i++) {
        String line = lines.get(i);
        Matcher include = INCLUDE.matcher(line.trim());
        if (include.matches()) {
          int fence = i + 1;
          if (fence >= lines.size() || !lines.get(fence).trim().equals("```java")) {
            problems.add(
                name + ":" + (i + 1) + ": an include marker must be followed by a ```java fence");
            continue;
          }
          int close = fence + 1;
          while (close < lines.size() && !lines.get(close).trim().equals("```")) {
            close++;
          }
          List<String> block = lines.subList(fence + 1, close);
          Path source = root.resolve(include.group(1));
          if (!Files.isRegularFile(source)) {
            problems.add(name + ":" + (i + 1) + ": no file " + include.group(1));
          } else {
            try {
              List<String> expected = region(source, include.group(2));
              if (!block.equals(expected)) {
                problems.add(
                    name
                        + ":"
                        + (fence + 2)
                        + ": differs from "
                        + include.group(1)
                        + "#"
                        + include.group(2)
                        + "; it should read:\n"
                        + String.join("\n", expected));
              }
            } catch (AssertionError e) {
              problems.add(name + ":" + (i + 1) + ": " + e.getMessage());
            }
          }
          checked++;
          i = close;
        } else if (line.trim().equals("```java")
            && !UNMARKED_ALLOWED.contains(name.replace('\\', '/'))) {
          problems.add(
              name
                  + ":"
                  + (i + 1)
                  + ": a ```java block without an <!-- include: path#tag --> marker above it");
        }
      }
    }
    assertThat(problems).as("samples in the documentation").isEmpty();
    assertThat(checked).as("samples checked").isPositive();
  }
}
