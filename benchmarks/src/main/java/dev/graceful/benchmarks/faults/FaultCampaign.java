package dev.graceful.benchmarks.faults;

import dev.graceful.benchmarks.Json;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The fault campaign: real peers on loopback through fault-injecting relays, every ending judged
 * against the contract. docs/reliability.md describes the rows and how each is judged.
 */
@Command(
    name = "faults",
    mixinStandardHelpOptions = true,
    description =
        "Throws faults at graceful's shutdowns (real peers through fault-injecting relays) and"
            + " judges every ending against the contract; exits 1 when a trial ended outside its"
            + " row's acceptable outcomes, lost bytes unreported, leaked or hung.")
public final class FaultCampaign implements Callable<Integer> {
  @Option(
      names = "--duration",
      defaultValue = "60s",
      converter = DurationParser.class,
      description = "the campaign's length, shared among the rows (e.g. 60s, 30m; default 60s)")
  Duration duration;

  @Option(
      names = "--seed",
      description = "the campaign's seed, in hex (default: a random one, printed)")
  String seed;

  @Option(names = "--json", description = "write the rows to this JSON file")
  Path json;

  @Option(
      names = "--only",
      description = "run only the rows whose protocol, role, fault or peer contains this text")
  String only;

  @Option(
      names = "--trial",
      description =
          "run one trial of each row matched by --only with this seed (hex, as a failure prints it)")
  String trial;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    long campaignSeed =
        seed != null ? Long.parseUnsignedLong(seed, 16) : new SecureRandom().nextLong();
    System.out.printf(
        "faults: seed %s, %s (rerun: faults --seed %s --duration %s)%n",
        Long.toUnsignedString(campaignSeed, 16),
        duration,
        Long.toUnsignedString(campaignSeed, 16),
        text(duration));
    try (Campaign.Env env = new Campaign.Env();
        QuicFaults quic = new QuicFaults(env);
        QuicServerFaults quicServer = new QuicServerFaults(env, quic);
        NettyQuicFaults nettyQuic = new NettyQuicFaults(env, quic)) {
      List<Scenario> rows = new ArrayList<>();
      // 10,000 connections per server shutdown in a 30-minute run, fewer in shorter ones (100 in
      // a one-minute run)
      long seconds = duration.toSeconds();
      int crowd = (int) Math.max(100, Math.min(10_000, seconds * seconds / 324));
      // both ends of every connection are in this process: two descriptors each, and room left
      crowd = (int) Math.min(crowd, Math.max(100, (openFileLimit() - 2_000) / 2));
      rows.addAll(new TlsFaults(env).scenarios());
      rows.addAll(new OpenSslFaults(env).scenarios());
      rows.addAll(new DtlsFaults(env).scenarios());
      rows.addAll(quic.scenarios());
      rows.addAll(quicServer.scenarios());
      rows.addAll(nettyQuic.scenarios());
      rows.addAll(new ServerFaults(env, crowd).scenarios());
      if (only != null) {
        rows.removeIf(
            s ->
                !(s.name() + " " + s.peer())
                    .toLowerCase(Locale.ROOT)
                    .contains(only.toLowerCase(Locale.ROOT)));
      }
      if (trial != null) {
        long s = Long.parseUnsignedLong(trial, 16);
        int bad = 0;
        for (Scenario sc : rows) {
          Verdict v = sc.trial().run(s);
          System.out.printf(
              "%s, seed %s: %s %s%n",
              sc.name(), trial, v.outcome(), v.failed() ? v.unexpected() : "as expected");
          bad += v.failed() ? 1 : 0;
        }
        return bad == 0 ? 0 : 1;
      }
      System.out.println(header());
      List<Row.Result> results = new Campaign(campaignSeed, System.out).run(env, rows, duration);
      long tried = results.stream().mapToLong(Row.Result::tried).sum();
      long unexpected = results.stream().mapToLong(Row.Result::unexpected).sum();
      long lost = results.stream().mapToLong(Row.Result::lost).sum();
      long leaked = results.stream().mapToLong(Row.Result::leaked).sum();
      long hung = results.stream().mapToLong(Row.Result::hung).sum();
      for (Row.Result r : results) {
        for (String f : r.failures()) {
          System.out.println("  " + r.protocol() + " " + r.role() + " " + r.fault() + ": " + f);
        }
        for (String l : r.leaks()) {
          System.out.println(
              "  " + r.protocol() + " " + r.role() + " " + r.fault() + ": left " + l);
        }
      }
      if (json != null) {
        Json.write(
            json,
            Json.Document.now(
                "faults",
                spec.commandLine().getParseResult().originalArgs(),
                Map.of(
                    "seed", Long.toUnsignedString(campaignSeed, 16),
                    "rows", results,
                    "tried", tried,
                    "unexpected", unexpected,
                    "lost", lost,
                    "leaked", leaked,
                    "hung", hung)));
      }
      System.out.printf(
          "faults: %d tried, %d unexpected, %d bytes lost unreported, %d leaked, %d hung%n",
          tried, unexpected, lost, leaked, hung);
      return unexpected + lost + leaked + hung == 0 ? 0 : 1;
    }
  }

  /** The process's limit on open files ({@code /proc/self/limits}), or 20,000 if unknown. */
  static long openFileLimit() {
    try {
      for (String l : java.nio.file.Files.readAllLines(Path.of("/proc/self/limits"))) {
        if (l.startsWith("Max open files")) {
          return Long.parseLong(l.substring("Max open files".length()).trim().split("\\s+")[0]);
        }
      }
    } catch (java.io.IOException | RuntimeException e) {
      // not Linux, or an unlimited limit: the default below
    }
    return 20_000;
  }

  static String header() {
    return String.format(
        "%-8s %-6s %-26s %-22s %7s %5s %5s %5s %5s  %s",
        "protocol", "role", "fault", "peer", "tried", "unexp", "lost", "leak", "hung", "outcomes");
  }

  static String line(Row.Result r) {
    String outcomes =
        r.outcomes().entrySet().stream()
            .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
            .map(e -> e.getKey() + " " + e.getValue())
            .collect(Collectors.joining(", "));
    return String.format(
        "%-8s %-6s %-26s %-22s %7d %5d %5d %5d %5d  %s",
        r.protocol(),
        r.role(),
        r.fault(),
        r.peer(),
        r.tried(),
        r.unexpected(),
        r.lost(),
        r.leaked(),
        r.hung(),
        outcomes);
  }

  private static String text(Duration d) {
    return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
  }

  /** {@code 500ms}, {@code 60s}, {@code 30m}, {@code 2h}, or ISO-8601 ({@code PT1M}). */
  static final class DurationParser implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      String v = value.trim().toLowerCase(Locale.ROOT);
      if (v.startsWith("pt")) {
        return Duration.parse(value);
      }
      if (v.endsWith("ms")) {
        return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
      }
      long n = Long.parseLong(v.substring(0, v.length() - 1));
      return switch (v.charAt(v.length() - 1)) {
        case 's' -> Duration.ofSeconds(n);
        case 'm' -> Duration.ofMinutes(n);
        case 'h' -> Duration.ofHours(n);
        default -> throw new CommandLine.TypeConversionException("not a duration: " + value);
      };
    }
  }
}
