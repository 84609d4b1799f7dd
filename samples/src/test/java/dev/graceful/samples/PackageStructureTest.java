package dev.graceful.samples;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaCodeUnit;
import com.tngtech.archunit.core.domain.JavaField;
import com.tngtech.archunit.core.domain.JavaMember;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.core.domain.JavaType;
import com.tngtech.archunit.core.domain.JavaTypeVariable;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.Location;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The library's package structure, checked on its compiled classes (every reference counts: same
 * package, fully qualified, a private field, an {@code instanceof}). Samples depends on every
 * library module but Spring's, whose one package can hold no cycle.
 *
 * <p>Each module is layered: the API package at the bottom, {@code core.spi} on it for protocol
 * modules, {@code *.internal} machinery above or beside; the package-info of each package says
 * which way it depends. What users see names only API types, so an SPI or internal type in a public
 * or protected signature of an API package is a defect.
 */
class PackageStructureTest {
  /** The packages of the library modules on this class path, and everything under them. */
  private static final String[] LIBRARY = {
    "dev.graceful.core", "dev.graceful.tls", "dev.graceful.quic", "dev.graceful.netty"
  };

  /** What users see. */
  private static final Set<String> API =
      Set.of(
          "dev.graceful.core",
          "dev.graceful.core.metrics",
          "dev.graceful.tls",
          "dev.graceful.quic",
          "dev.graceful.netty",
          "dev.graceful.netty.quic",
          "dev.graceful.spring");

  private static final Pattern TEST_JAR = Pattern.compile(".*-tests\\.jar.*");

  private static JavaClasses library;

  @BeforeAll
  static void importLibrary() {
    library =
        new ClassFileImporter()
            .withImportOption(PackageStructureTest::isMainCode)
            .importPackages(LIBRARY);
  }

  /** Main classes only: the tls test-jar shares the tls package and must not count. */
  private static boolean isMainCode(Location location) {
    return !location.contains("/test-classes/") && !location.matches(TEST_JAR);
  }

  @Test
  void everyLibraryModuleIsImported() {
    // the rules below pass vacuously on an empty import, so first prove there is something to check
    for (String anchor :
        List.of(
            "dev.graceful.core.LoopGroup",
            "dev.graceful.core.spi.ShutdownEngine",
            "dev.graceful.tls.TlsConnection",
            "dev.graceful.tls.internal.TlsEngine",
            "dev.graceful.quic.QuicConnection",
            "dev.graceful.quic.internal.KwikEngine",
            "dev.graceful.netty.GracefulServer",
            "dev.graceful.netty.internal.NettyTlsEngine",
            "dev.graceful.netty.quic.NettyQuicConnection",
            "dev.graceful.netty.quic.internal.NettyQuicEngine")) {
      assertThat(library.contain(anchor)).as(anchor).isTrue();
    }
  }

  @Test
  void packagesHaveNoCycle() {
    slices().matching("dev.graceful.(**)").should().beFreeOfCycles().check(library);
  }

  @Test
  void apiSignaturesNameOnlyApiTypes() {
    classes()
        .that(inApiPackageAndVisible())
        .should(nameOnlyApiTypesInTheirSignatures())
        .check(library);
  }

  private static DescribedPredicate<JavaClass> inApiPackageAndVisible() {
    return DescribedPredicate.describe(
        "are public classes of an API package",
        c -> API.contains(c.getPackageName()) && visible(c));
  }

  /** Public, and nested only in public classes. */
  private static boolean visible(JavaClass c) {
    for (Optional<JavaClass> k = Optional.of(c); k.isPresent(); k = k.get().getEnclosingClass()) {
      if (!k.get().getModifiers().contains(JavaModifier.PUBLIC)) {
        return false;
      }
    }
    return true;
  }

  private static ArchCondition<JavaClass> nameOnlyApiTypesInTheirSignatures() {
    return new ArchCondition<>("name only API types in their public and protected signatures") {
      @Override
      public void check(JavaClass c, ConditionEvents events) {
        report(c, "the declaration of " + c.getName(), declarationTypes(c), events);
        for (JavaMember m : c.getMembers()) {
          Set<JavaModifier> mods = m.getModifiers();
          if (mods.contains(JavaModifier.SYNTHETIC)
              || !(mods.contains(JavaModifier.PUBLIC) || mods.contains(JavaModifier.PROTECTED))) {
            continue;
          }
          report(c, m.getFullName(), signatureTypes(m), events);
        }
      }
    };
  }

  private static void report(
      JavaClass c, String where, Set<JavaClass> types, ConditionEvents events) {
    for (JavaClass t : types) {
      JavaClass base = t.getBaseComponentType();
      if (base.getPackageName().startsWith("dev.graceful.")
          && !API.contains(base.getPackageName())) {
        events.add(
            SimpleConditionEvent.violated(
                c, where + " names " + base.getName() + ", which is not in an API package"));
      }
    }
  }

  private static Set<JavaClass> declarationTypes(JavaClass c) {
    List<JavaType> types = new ArrayList<>();
    c.getSuperclass().ifPresent(types::add);
    types.addAll(c.getInterfaces());
    types.addAll(c.getTypeParameters());
    return rawTypes(types);
  }

  private static Set<JavaClass> signatureTypes(JavaMember m) {
    List<JavaType> types = new ArrayList<>();
    if (m instanceof JavaField f) {
      types.add(f.getType());
    } else if (m instanceof JavaCodeUnit u) {
      types.add(u.getReturnType());
      types.addAll(u.getParameterTypes());
      u.getThrowsClause().forEach(t -> types.add(t.getRawType()));
      for (JavaTypeVariable<?> v : u.getTypeParameters()) {
        types.add(v);
      }
    }
    return rawTypes(types);
  }

  private static Set<JavaClass> rawTypes(List<? extends JavaType> types) {
    Set<JavaClass> raw = new LinkedHashSet<>();
    types.forEach(t -> raw.addAll(t.getAllInvolvedRawTypes()));
    return raw;
  }
}
