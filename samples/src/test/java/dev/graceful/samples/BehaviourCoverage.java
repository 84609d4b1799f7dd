package dev.graceful.samples;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which tests prove which behaviour of the contract: the ids listed in {@code docs/behaviours.txt},
 * the JUnit {@code @Tag} ids on the tests of every module ({@code src/test/java} anywhere under the
 * repository), and the table of both, {@code docs/behaviour-tests.md}.
 *
 * <p>The test sources are read as Java tokens, not as lines: comments are skipped, so an id named
 * in a comment or a string is not a tag. A tag on a class applies to every test in it and in the
 * classes nested in it, as in JUnit for {@code @Nested} classes; a tag or a test inherited from a
 * superclass is not seen in the subclass.
 */
final class BehaviourCoverage {
  static final String BEHAVIOURS = "docs/behaviours.txt";
  static final String TABLE = "docs/behaviour-tests.md";
  private static final Set<String> TEST_ANNOTATIONS =
      Set.of("Test", "ParameterizedTest", "RepeatedTest", "TestFactory", "TestTemplate");
  private static final Pattern BEHAVIOUR_LINE =
      Pattern.compile("([A-Z]+[0-9]+)\\s+(pending\\s+)?(\\S.*)");

  private BehaviourCoverage() {}

  /** One behaviour of the contract; {@code pending} while it has no test yet. */
  record Behaviour(String id, boolean pending, String title) {}

  /**
   * A test method, or a tagged class in which no test method was found ({@code method} null);
   * {@code path} is relative to the repository root, with '/' separators.
   */
  record TestRef(String path, String className, String method, Set<String> ids) {
    String name() {
      return method == null ? className : className + "#" + method;
    }
  }

  /** What a scan found: every test, tagged or not, and every tag that is not on a test. */
  record Scan(List<TestRef> tests, List<String> problems) {}

  // ---- docs/behaviours.txt

  /**
   * @throws IllegalArgumentException for a malformed line or an id listed twice
   */
  static List<Behaviour> parseBehaviours(List<String> lines) {
    List<Behaviour> out = new ArrayList<>();
    Set<String> seen = new TreeSet<>();
    for (int n = 0; n < lines.size(); n++) {
      String line = lines.get(n).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      Matcher m = BEHAVIOUR_LINE.matcher(line);
      if (!m.matches()) {
        throw new IllegalArgumentException(
            BEHAVIOURS + ":" + (n + 1) + ": expected 'ID title' or 'ID pending title': " + line);
      }
      if (!seen.add(m.group(1))) {
        throw new IllegalArgumentException(
            BEHAVIOURS + ":" + (n + 1) + ": " + m.group(1) + " is listed twice");
      }
      out.add(new Behaviour(m.group(1), m.group(2) != null, m.group(3)));
    }
    return out;
  }

  // ---- the check

  /**
   * @return one line per problem: a behaviour that is not pending and has no test, a pending one
   *     that has tests, a tag that names no behaviour, a tag that is not on a test or a class
   */
  static List<String> problems(List<Behaviour> behaviours, Scan scan) {
    Map<String, List<TestRef>> byId = byId(scan);
    List<String> out = new ArrayList<>();
    Set<String> known = new TreeSet<>();
    for (Behaviour b : behaviours) {
      known.add(b.id());
      List<TestRef> tests = byId.getOrDefault(b.id(), List.of());
      if (tests.isEmpty() && !b.pending()) {
        out.add(
            b.id()
                + " ("
                + b.title()
                + ") has no test: tag one with @Tag(\""
                + b.id()
                + "\"), or mark it pending in "
                + BEHAVIOURS);
      } else if (!tests.isEmpty() && b.pending()) {
        out.add(
            b.id()
                + " is marked pending in "
                + BEHAVIOURS
                + " but has tests ("
                + tests.stream().map(TestRef::name).toList()
                + "): remove 'pending'");
      }
    }
    byId.forEach(
        (id, tests) -> {
          if (!known.contains(id)) {
            out.add(
                "@Tag(\""
                    + id
                    + "\") on "
                    + tests.stream().map(t -> t.path() + " " + t.name()).toList()
                    + " names no behaviour of "
                    + BEHAVIOURS);
          }
        });
    out.addAll(scan.problems());
    return out;
  }

  private static Map<String, List<TestRef>> byId(Scan scan) {
    Map<String, List<TestRef>> byId = new LinkedHashMap<>();
    for (TestRef t : scan.tests()) {
      for (String id : t.ids()) {
        byId.computeIfAbsent(id, k -> new ArrayList<>()).add(t);
      }
    }
    return byId;
  }

  // ---- docs/behaviour-tests.md

  /** The markdown table, links relative to {@code docs/}. */
  static String table(List<Behaviour> behaviours, Scan scan) {
    Map<String, List<TestRef>> byId = byId(scan);
    StringBuilder md = new StringBuilder();
    md.append("# Behaviours and the tests that prove them\n\n")
        .append("Written by `BehaviourCoverageTest` (samples module, run by `mvn verify`) from `")
        .append(BEHAVIOURS)
        .append("` and the JUnit `@Tag` ids on the tests of every module; do not edit it by hand. ")
        .append(
            "The build fails for a behaviour that has no test unless it is marked pending there.\n\n")
        .append("| Id | Behaviour | Tests |\n|---|---|---|\n");
    for (Behaviour b : behaviours) {
      List<TestRef> tests = byId.getOrDefault(b.id(), List.of());
      String cell =
          tests.isEmpty()
              ? (b.pending() ? "no test yet (pending)" : "**no test**")
              : String.join("<br>", tests.stream().map(BehaviourCoverage::link).toList());
      md.append("| ")
          .append(b.id())
          .append(" | ")
          .append(escape(b.title()))
          .append(" | ")
          .append(cell)
          .append(" |\n");
    }
    List<TestRef> untagged = scan.tests().stream().filter(t -> t.ids().isEmpty()).toList();
    if (!untagged.isEmpty()) {
      md.append("\n## Tests that name no behaviour\n\n");
      untagged.forEach(t -> md.append("- ").append(link(t)).append('\n'));
    }
    return md.toString();
  }

  private static String link(TestRef t) {
    return "[" + t.name() + "](../" + t.path() + ")";
  }

  private static String escape(String cell) {
    return cell.replace("|", "\\|");
  }

  // ---- the repository

  /**
   * @return {@code from} or the nearest directory above it that holds {@link #BEHAVIOURS}
   */
  static Path repositoryRoot(Path from) {
    for (Path p = from.toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.isRegularFile(p.resolve(BEHAVIOURS))) {
        return p;
      }
    }
    throw new IllegalStateException(
        "no " + BEHAVIOURS + " in " + from.toAbsolutePath() + " or above it");
  }

  /** Scans every {@code .java} file under a {@code src/test/java} directory below {@code root}. */
  static Scan scanTree(Path root) throws IOException {
    List<Path> files = new ArrayList<>();
    Files.walkFileTree(
        root,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
            String name = dir.getFileName() == null ? "" : dir.getFileName().toString();
            boolean skip =
                !dir.equals(root)
                    && (name.startsWith(".")
                        || name.equals("target")
                        || name.equals("node_modules"));
            return skip ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
            String rel = relative(root, file);
            if (rel.endsWith(".java") && ("/" + rel).contains("/src/test/java/")) {
              files.add(file);
            }
            return FileVisitResult.CONTINUE;
          }
        });
    files.sort(Comparator.comparing(f -> relative(root, f)));
    List<TestRef> tests = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    for (Path f : files) {
      Scan s = scanSource(relative(root, f), Files.readString(f, StandardCharsets.UTF_8));
      tests.addAll(s.tests());
      problems.addAll(s.problems());
    }
    return new Scan(tests, problems);
  }

  private static String relative(Path root, Path file) {
    return root.relativize(file).toString().replace('\\', '/');
  }

  /** Writes {@code content} to {@code file} unless it holds exactly that already. */
  static void writeIfChanged(Path file, String content) throws IOException {
    if (!Files.isRegularFile(file)
        || !Files.readString(file, StandardCharsets.UTF_8).equals(content)) {
      Files.writeString(file, content, StandardCharsets.UTF_8);
    }
  }

  // ---- one source file

  private enum Kind {
    WORD,
    STRING,
    SYMBOL
  }

  private record Token(Kind kind, String text, int line) {
    boolean is(String s) {
      return kind != Kind.STRING && text.equals(s);
    }
  }

  private record Annotation(String name, List<String> strings, int line) {
    boolean isTag() {
      return name.equals("Tag") || name.equals("Tags");
    }
  }

  private static final class Declared {
    final String name;
    final Set<String> tags;
    final int depth;
    boolean hasTests;

    Declared(String name, Set<String> tags, int depth) {
      this.name = name;
      this.tags = tags;
      this.depth = depth;
    }
  }

  /** Scans the source text of one file; {@code path} names it in the results. */
  static Scan scanSource(String path, String source) {
    List<Token> tokens = tokenize(source);
    List<TestRef> tests = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    Deque<Declared> classes = new ArrayDeque<>();
    List<Annotation> pending = new ArrayList<>();
    Declared opening = null; // a class declared, its body not yet open
    int depth = 0;
    for (int i = 0; i < tokens.size(); i++) {
      Token t = tokens.get(i);
      Token prev = i > 0 ? tokens.get(i - 1) : null;
      if (t.is("@") && i + 1 < tokens.size() && !tokens.get(i + 1).is("interface")) {
        // an annotation: a qualified name, then perhaps arguments in parentheses
        int j = i + 1;
        String name = tokens.get(j).text();
        while (j + 2 < tokens.size()
            && tokens.get(j + 1).is(".")
            && tokens.get(j + 2).kind() == Kind.WORD) {
          j += 2;
          name = tokens.get(j).text();
        }
        List<String> strings = new ArrayList<>();
        if (j + 1 < tokens.size() && tokens.get(j + 1).is("(")) {
          int end = matching(tokens, j + 1);
          for (int k = j + 2; k < end; k++) {
            if (tokens.get(k).kind() == Kind.STRING) {
              strings.add(tokens.get(k).text());
            }
          }
          j = end;
        }
        pending.add(new Annotation(name, strings, t.line()));
        i = j;
      } else if (isTypeDeclaration(tokens, i)) {
        String simple = tokens.get(i + 1).text();
        String name = classes.isEmpty() ? simple : classes.peek().name + "." + simple;
        opening = new Declared(name, tagIds(pending, path, problems), depth + 1);
        pending.clear();
        i++;
      } else if (t.is("(")) {
        if (opening != null) {
          i = matching(tokens, i); // a record's components
        } else if (!pending.isEmpty()) {
          boolean declaration =
              prev != null
                  && prev.kind() == Kind.WORD
                  && i > 1
                  && !tokens.get(i - 2).is(".")
                  && !tokens.get(i - 2).is("=")
                  && !tokens.get(i - 2).is("new");
          if (declaration) {
            boolean isTest = pending.stream().anyMatch(a -> TEST_ANNOTATIONS.contains(a.name()));
            Set<String> ids = tagIds(pending, path, problems);
            if (isTest) {
              Set<String> all = new TreeSet<>(ids);
              classes.forEach(c -> all.addAll(c.tags));
              String owner = classes.isEmpty() ? "?" : classes.peek().name;
              tests.add(new TestRef(path, owner, prev.text(), all));
              if (!classes.isEmpty()) {
                classes.peek().hasTests = true;
              }
            } else if (!ids.isEmpty()) {
              int line =
                  pending.stream().filter(Annotation::isTag).findFirst().orElseThrow().line();
              problems.add(
                  path + ":" + line + ": @Tag on " + prev.text() + ", which is not a test method");
            }
            i = matching(tokens, i); // parameters, and their annotations
          } else {
            tagOnNothing(pending, path, problems);
          }
          pending.clear();
        }
      } else if (t.is("{")) {
        depth++;
        if (opening != null && opening.depth == depth) {
          classes.push(opening);
          opening = null;
        }
        tagOnNothing(pending, path, problems);
        pending.clear();
      } else if (t.is("}")) {
        if (!classes.isEmpty() && classes.peek().depth == depth) {
          Declared done = classes.pop();
          if (!done.tags.isEmpty() && !done.hasTests) {
            tests.add(new TestRef(path, done.name, null, new TreeSet<>(done.tags)));
          }
          if (!classes.isEmpty() && done.hasTests) {
            classes.peek().hasTests = true;
          }
        }
        depth--;
      } else if (t.is(";") || t.is("=")) {
        tagOnNothing(pending, path, problems);
        pending.clear();
      }
    }
    return new Scan(tests, problems);
  }

  private static boolean isTypeDeclaration(List<Token> tokens, int i) {
    Token t = tokens.get(i);
    if (t.kind() != Kind.WORD || i + 1 >= tokens.size() || tokens.get(i + 1).kind() != Kind.WORD) {
      return false;
    }
    if (i > 0 && tokens.get(i - 1).is(".")) {
      return false; // Foo.class
    }
    return switch (t.text()) {
      case "class", "interface", "enum" -> true;
      case "record" ->
          i + 2 < tokens.size() && (tokens.get(i + 2).is("(") || tokens.get(i + 2).is("<"));
      default -> false;
    };
  }

  private static Set<String> tagIds(
      List<Annotation> annotations, String path, List<String> problems) {
    Set<String> ids = new LinkedHashSet<>();
    for (Annotation a : annotations) {
      if (!a.isTag()) {
        continue;
      }
      if (a.strings().isEmpty()) {
        problems.add(path + ":" + a.line() + ": @" + a.name() + " without a literal id");
      }
      for (String s : a.strings()) {
        if (s.isBlank()) {
          problems.add(path + ":" + a.line() + ": @" + a.name() + " with a blank id");
        } else {
          ids.add(s.strip());
        }
      }
    }
    return ids;
  }

  private static void tagOnNothing(List<Annotation> pending, String path, List<String> problems) {
    for (Annotation a : pending) {
      if (a.isTag()) {
        problems.add(
            path + ":" + a.line() + ": @" + a.name() + " is on neither a test method nor a class");
      }
    }
  }

  /**
   * @return the index of the parenthesis that closes the one at {@code open} (the last token if
   *     none)
   */
  private static int matching(List<Token> tokens, int open) {
    int nesting = 0;
    for (int k = open; k < tokens.size(); k++) {
      if (tokens.get(k).is("(")) {
        nesting++;
      } else if (tokens.get(k).is(")") && --nesting == 0) {
        return k;
      }
    }
    return tokens.size() - 1;
  }

  /** Java tokens without comments; string literals and text blocks keep their (unescaped) text. */
  private static List<Token> tokenize(String s) {
    List<Token> out = new ArrayList<>();
    int line = 1;
    int i = 0;
    int n = s.length();
    while (i < n) {
      char c = s.charAt(i);
      if (c == '\n') {
        line++;
        i++;
      } else if (Character.isWhitespace(c)) {
        i++;
      } else if (s.startsWith("//", i)) {
        while (i < n && s.charAt(i) != '\n') {
          i++;
        }
      } else if (s.startsWith("/*", i)) {
        int end = s.indexOf("*/", i + 2);
        end = end < 0 ? n : end + 2;
        line += count(s, i, end);
        i = end;
      } else if (s.startsWith("\"\"\"", i)) {
        int start = line;
        StringBuilder text = new StringBuilder();
        int j = i + 3;
        while (j < n && !s.startsWith("\"\"\"", j)) {
          if (s.charAt(j) == '\\' && j + 1 < n) {
            text.append(s.charAt(++j));
          } else {
            text.append(s.charAt(j));
          }
          j++;
        }
        j = Math.min(n, j + 3);
        line += count(s, i, j);
        out.add(new Token(Kind.STRING, text.toString(), start));
        i = j;
      } else if (c == '"' || c == '\'') {
        StringBuilder text = new StringBuilder();
        int j = i + 1;
        while (j < n && s.charAt(j) != c && s.charAt(j) != '\n') {
          if (s.charAt(j) == '\\' && j + 1 < n) {
            text.append(s.charAt(++j));
          } else {
            text.append(s.charAt(j));
          }
          j++;
        }
        out.add(
            c == '"'
                ? new Token(Kind.STRING, text.toString(), line)
                : new Token(Kind.SYMBOL, "'", line));
        i = Math.min(n, j + 1);
      } else if (Character.isJavaIdentifierPart(c)) {
        int j = i;
        while (j < n && Character.isJavaIdentifierPart(s.charAt(j))) {
          j++;
        }
        out.add(new Token(Kind.WORD, s.substring(i, j), line));
        i = j;
      } else {
        out.add(new Token(Kind.SYMBOL, String.valueOf(c), line));
        i++;
      }
    }
    return out;
  }

  private static int count(String s, int from, int to) {
    int lines = 0;
    for (int k = from; k < to; k++) {
      if (s.charAt(k) == '\n') {
        lines++;
      }
    }
    return lines;
  }
}
