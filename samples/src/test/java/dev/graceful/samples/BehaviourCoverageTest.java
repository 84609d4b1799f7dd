package dev.graceful.samples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graceful.samples.BehaviourCoverage.Behaviour;
import dev.graceful.samples.BehaviourCoverage.Scan;
import dev.graceful.samples.BehaviourCoverage.TestRef;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Every behaviour of the contract listed in {@code docs/behaviours.txt} has a test that names it
 * with {@code @Tag}, unless it is marked pending; {@code docs/behaviour-tests.md} is written from
 * both. The other tests prove the scan on sample source text.
 */
class BehaviourCoverageTest {

  @Test
  void everyBehaviourHasATestUnlessPending() throws Exception {
    Path root = BehaviourCoverage.repositoryRoot(Path.of(""));
    List<Behaviour> behaviours =
        BehaviourCoverage.parseBehaviours(
            Files.readAllLines(root.resolve(BehaviourCoverage.BEHAVIOURS), StandardCharsets.UTF_8));
    Scan scan = BehaviourCoverage.scanTree(root);
    // written first, so that a failing build still shows the whole table
    BehaviourCoverage.writeIfChanged(
        root.resolve(BehaviourCoverage.TABLE), BehaviourCoverage.table(behaviours, scan));
    assertThat(behaviours).as("behaviours listed in " + BehaviourCoverage.BEHAVIOURS).isNotEmpty();
    assertThat(scan.tests()).as("tests found under " + root).isNotEmpty();
    assertThat(BehaviourCoverage.problems(behaviours, scan))
        .as("behaviours without tests, stale pending marks, unknown or misplaced tags")
        .isEmpty();
  }

  // ---- the scan, on sample source text

  static Map<String, Set<String>> idsByTest(String source) {
    Scan scan = BehaviourCoverage.scanSource("m/src/test/java/p/Sample.java", source);
    assertThat(scan.problems()).isEmpty();
    return scan.tests().stream().collect(Collectors.toMap(TestRef::name, TestRef::ids));
  }

  @Test
  void aTagOnATestMethodNamesThatTest() {
    Map<String, Set<String>> ids =
        idsByTest(
            """
            class Sample {
              @Tag("T5")
              @Test
              void waits() {}

              @Test
              void untagged() {}

              @ParameterizedTest
              @Tag("T8")
              @ValueSource(strings = {"1.2", "1.3"})
              void eof(String tls) {
                if (tls.equals("{")) { return; }
              }
            }
            """);
    assertThat(ids)
        .isEqualTo(
            Map.of(
                "Sample#waits",
                Set.of("T5"),
                "Sample#untagged",
                Set.of(),
                "Sample#eof",
                Set.of("T8")));
  }

  @Test
  void aTagOnAClassNamesEveryTestInItAndInItsNestedClasses() {
    Map<String, Set<String>> ids =
        idsByTest(
            """
            @Tag("T14")
            class Sample {
              @Test
              @Tag("T5")
              void counted() {}

              @org.junit.jupiter.api.Test
              void lost() {
                Runnable r = new Runnable() {
                  @Override
                  public void run() {}
                };
              }

              void helper() {}

              @Nested
              class Inner {
                @RepeatedTest(3)
                void again() {}
              }

              record Pair(String a, String b) {}
            }
            """);
    assertThat(ids)
        .isEqualTo(
            Map.of(
                "Sample#counted", Set.of("T5", "T14"),
                "Sample#lost", Set.of("T14"),
                "Sample.Inner#again", Set.of("T14")));
  }

  @Test
  void aTestMayNameSeveralBehaviours() {
    Map<String, Set<String>> ids =
        idsByTest(
            """
            class Sample {
              @Tag("T1") @Tag("T12")
              @Test
              void oneLine() {}

              @org.junit.jupiter.api.Tag("R2")
              @Tag(value = "R3")
              @Test
              void qualified() {}

              @Tags({@Tag("Q1"), @Tag("Q2")})
              @Test
              void container() {}
            }
            """);
    assertThat(ids)
        .isEqualTo(
            Map.of(
                "Sample#oneLine", Set.of("T1", "T12"),
                "Sample#qualified", Set.of("R2", "R3"),
                "Sample#container", Set.of("Q1", "Q2")));
  }

  @Test
  void idsInCommentsAndStringsAreNotTags() {
    Map<String, Set<String>> ids =
        idsByTest(
            """
            /** T14: @Tag("T14") in a comment. */
            class Sample {
              // T5: data before the peer's close is delivered
              // @Tag("T5")
              /* @Tag("T6") */
              @Test
              void commented() {
                String s = "@Tag(\\"T7\\")";
                char quote = '"';
                String block = \"""
                    @Tag("T8") class Fake { @Test void fake() {} }
                    \""";
              }
            }
            """);
    assertThat(ids).isEqualTo(Map.of("Sample#commented", Set.of()));
  }

  @Test
  void aTagOnSomethingOtherThanATestIsAProblem() {
    Scan scan =
        BehaviourCoverage.scanSource(
            "m/src/test/java/p/Sample.java",
            """
            class Sample {
              @Tag("T5")
              void helper() {}

              @Tag("T6")
              int field = 1;

              @Tag("")
              @Test
              void blank() {}
            }
            """);
    assertThat(scan.problems())
        .containsExactly(
            "m/src/test/java/p/Sample.java:2: @Tag on helper, which is not a test method",
            "m/src/test/java/p/Sample.java:5: @Tag is on neither a test method nor a class",
            "m/src/test/java/p/Sample.java:8: @Tag with a blank id");
  }

  @Test
  void aTaggedClassWithoutTestMethodsIsListedAsTheClass() {
    Scan scan =
        BehaviourCoverage.scanSource(
            "m/src/test/java/p/Sub.java",
            """
            @Tag("T3")
            class Sub extends Base {
              @Override
              String provider() { return "other"; }
            }
            """);
    assertThat(scan.tests())
        .containsExactly(new TestRef("m/src/test/java/p/Sub.java", "Sub", null, Set.of("T3")));
  }

  // ---- the check, on sample behaviours

  static final Scan TAGGED =
      new Scan(
          List.of(
              new TestRef("core/src/test/java/A.java", "A", "one", Set.of("T1")),
              new TestRef("core/src/test/java/A.java", "A", "two", Set.of("T1", "Q9")),
              new TestRef("core/src/test/java/A.java", "A", "three", Set.of())),
          List.of());

  @Test
  void aBehaviourWithoutTestsFailsUnlessPending() {
    List<Behaviour> behaviours =
        BehaviourCoverage.parseBehaviours(
            List.of(
                "# comment",
                "",
                "T1 state",
                "T2 locally initiated",
                "G7 pending cleartext",
                "Q9 no-block"));
    assertThat(behaviours)
        .containsExactly(
            new Behaviour("T1", false, "state"),
            new Behaviour("T2", false, "locally initiated"),
            new Behaviour("G7", true, "cleartext"),
            new Behaviour("Q9", false, "no-block"));
    assertThat(BehaviourCoverage.problems(behaviours, TAGGED))
        .singleElement()
        .asString()
        .startsWith("T2 (locally initiated) has no test");
  }

  @Test
  void aPendingBehaviourWithTestsAndAnUnknownIdFail() {
    List<Behaviour> behaviours = BehaviourCoverage.parseBehaviours(List.of("T1 pending state"));
    assertThat(BehaviourCoverage.problems(behaviours, TAGGED))
        .containsExactly(
            "T1 is marked pending in docs/behaviours.txt but has tests ([A#one, A#two]): remove 'pending'",
            "@Tag(\"Q9\") on [core/src/test/java/A.java A#two] names no behaviour of docs/behaviours.txt");
  }

  @Test
  void malformedOrRepeatedBehavioursAreRefused() {
    assertThatThrownBy(() -> BehaviourCoverage.parseBehaviours(List.of("T1")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(":1:");
    assertThatThrownBy(() -> BehaviourCoverage.parseBehaviours(List.of("T1 state", "T1 again")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("T1 is listed twice");
  }

  @Test
  void theTableListsTestsWithRelativeLinksAndPendingIds() {
    List<Behaviour> behaviours =
        BehaviourCoverage.parseBehaviours(List.of("T1 state | bits", "G7 pending cleartext"));
    String md = BehaviourCoverage.table(behaviours, TAGGED);
    assertThat(md)
        .contains(
            "| T1 | state \\| bits | [A#one](../core/src/test/java/A.java)<br>[A#two](../core/src/test/java/A.java) |")
        .contains("| G7 | cleartext | no test yet (pending) |")
        .contains("- [A#three](../core/src/test/java/A.java)");
  }
}
