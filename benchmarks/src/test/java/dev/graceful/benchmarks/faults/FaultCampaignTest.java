package dev.graceful.benchmarks.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The campaign's pieces that need no peer: durations, seeds, mutations, checks on data. */
class FaultCampaignTest {
  @Test
  void durationsInTheUsualUnits() {
    FaultCampaign.DurationParser p = new FaultCampaign.DurationParser();
    assertThat(p.convert("500ms")).isEqualTo(Duration.ofMillis(500));
    assertThat(p.convert("60s")).isEqualTo(Duration.ofSeconds(60));
    assertThat(p.convert("30m")).isEqualTo(Duration.ofMinutes(30));
    assertThat(p.convert("2h")).isEqualTo(Duration.ofHours(2));
    assertThat(p.convert("PT1M")).isEqualTo(Duration.ofMinutes(1));
    assertThatThrownBy(() -> p.convert("3d"))
        .isInstanceOf(CommandLine.TypeConversionException.class);
  }

  @Test
  void trialSeedsFollowFromTheCampaignsAndDiffer() {
    assertThat(Campaign.trialSeed(7, 3, 11)).isEqualTo(Campaign.trialSeed(7, 3, 11));
    assertThat(Campaign.trialSeed(7, 3, 11)).isNotEqualTo(Campaign.trialSeed(7, 3, 12));
    assertThat(Campaign.trialSeed(7, 3, 11)).isNotEqualTo(Campaign.trialSeed(7, 4, 11));
    assertThat(Campaign.trialSeed(7, 3, 11)).isNotEqualTo(Campaign.trialSeed(8, 3, 11));
  }

  @Test
  void oneSeedMutatesTheSameRecordTheSameWay() {
    List<byte[]> records = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      byte[] r = new byte[5 + 40];
      r[0] = 23;
      r[1] = 3;
      r[2] = 3;
      r[4] = 40;
      records.add(r);
    }
    for (long seed = 0; seed < 50; seed++) {
      assertThat(render(new RecordMutator(new Random(seed), 5), records))
          .isEqualTo(render(new RecordMutator(new Random(seed), 5), records));
    }
  }

  private static List<String> render(RecordMutator m, List<byte[]> records) {
    List<String> out = new ArrayList<>();
    for (byte[] r : records) {
      for (byte[] b : m.apply(r.clone())) {
        out.add(b == null ? "FIN" : java.util.Arrays.toString(b));
      }
    }
    return out;
  }

  @Test
  void aSinkTellsAPrefixFromAlteredOrExtraBytes() {
    byte[] sent = {1, 2, 3, 4, 5};
    Sink prefix = new Sink();
    prefix.accept(ByteBuffer.wrap(new byte[] {1, 2, 3}));
    assertThat(prefix.prefixOf(sent)).isNull();
    assertThat(prefix.count()).isEqualTo(3);
    Sink altered = new Sink();
    altered.accept(ByteBuffer.wrap(new byte[] {1, 9}));
    assertThat(altered.prefixOf(sent)).contains("differ");
    Sink extra = new Sink();
    extra.accept(ByteBuffer.wrap(new byte[] {1, 2, 3, 4, 5, 6}));
    assertThat(extra.prefixOf(sent)).contains("more than");
  }

  @Test
  void verdictsAddUp() {
    Verdict v = Verdict.ok("COMPLETE").lost(10, "short").and("also wrong").about("step");
    assertThat(v.failed()).isTrue();
    assertThat(v.lost()).isEqualTo(10);
    assertThat(v.unexpected()).isEqualTo("step: short; also wrong");
    assertThat(Verdict.ok("TIMEOUT").lost(0, "nothing").and(null).failed()).isFalse();
  }
}
