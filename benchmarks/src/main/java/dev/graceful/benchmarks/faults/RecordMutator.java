package dev.graceful.benchmarks.faults;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Function;

/**
 * A seeded rewrite of the TLS records at a close: one of the next few records is flipped, retyped,
 * shortened, dropped, duplicated, swapped with the next, cut by a bare FIN, or preceded by a random
 * record or by bytes that are no record at all. The others pass untouched.
 */
final class RecordMutator implements Function<byte[], List<byte[]>> {
  enum Kind {
    FLIP_BIT,
    RETYPE,
    SHORTEN,
    DROP,
    DUPLICATE,
    SWAP,
    CUT,
    RANDOM_RECORD,
    GARBAGE
  }

  private final Random rnd;
  private final int target;
  final Kind kind;
  private int seen;
  private byte[] held;

  RecordMutator(Random rnd, int records) {
    this.rnd = rnd;
    this.target = rnd.nextInt(Math.max(1, records));
    this.kind = Kind.values()[rnd.nextInt(Kind.values().length)];
  }

  @Override
  public synchronized List<byte[]> apply(byte[] record) {
    int index = seen++;
    if (held != null) { // the swapped record goes after this one
      byte[] h = held;
      held = null;
      return List.of(record, h);
    }
    if (index != target) {
      return List.of(record);
    }
    byte[] r = record.clone();
    switch (kind) {
      case FLIP_BIT -> {
        int i = r.length > 5 ? 5 + rnd.nextInt(r.length - 5) : rnd.nextInt(r.length);
        r[i] ^= (byte) (1 << rnd.nextInt(8));
        return List.of(r);
      }
      case RETYPE -> {
        int[] types = {20, 21, 22, 23, 24, 0, 255};
        r[0] = (byte) types[rnd.nextInt(types.length)];
        if (r[0] == record[0]) {
          r[0] = (byte) (r[0] ^ 0x40);
        }
        return List.of(r);
      }
      case SHORTEN -> {
        int length = r.length - 5;
        int shorter = length == 0 ? 0 : rnd.nextInt(length);
        r[3] = (byte) (shorter >> 8);
        r[4] = (byte) shorter;
        return List.of(r); // the rest of the body now reads as the next record's header
      }
      case DROP -> {
        return List.of();
      }
      case DUPLICATE -> {
        return List.of(r, r.clone());
      }
      case SWAP -> {
        held = r;
        return List.of();
      }
      case CUT -> {
        List<byte[]> out = new ArrayList<>();
        out.add(Arrays.copyOf(r, 1 + rnd.nextInt(r.length)));
        out.add(null); // a bare FIN after part of the record
        return out;
      }
      case RANDOM_RECORD -> {
        byte[] body = new byte[1 + rnd.nextInt(300)];
        rnd.nextBytes(body);
        byte[] fake = new byte[5 + body.length];
        fake[0] = (byte) (rnd.nextBoolean() ? 23 : 21);
        fake[1] = 3;
        fake[2] = 3;
        fake[3] = (byte) (body.length >> 8);
        fake[4] = (byte) body.length;
        System.arraycopy(body, 0, fake, 5, body.length);
        return List.of(fake, r);
      }
      case GARBAGE -> {
        byte[] junk = new byte[1 + rnd.nextInt(50)];
        rnd.nextBytes(junk);
        return List.of(junk, r);
      }
      default -> throw new IllegalStateException(kind.name());
    }
  }
}
