// The production random source: pooled draws stay uniform and in range, fill() writes exactly the
// range it is given, and draws across the pool's refill boundary keep coming; the seeded source's
// fill() is the same byte sequence as bytes(), so vectors built with either agree.
import { describe, expect, test } from "bun:test";
import { seededRandom, systemRandom } from "../../src/crypto/random.ts";

describe("systemRandom", () => {
  test("int(n) stays in [0, n) and hits every value, for small (pooled) and large n", () => {
    for (const n of [1, 2, 3, 4, 7, 16, 200, 256, 257, 100_000]) {
      const seen = new Set<number>();
      for (let i = 0; i < 20_000; i++) {
        const v = systemRandom.int(n);
        expect(Number.isInteger(v) && v >= 0 && v < n).toBe(true);
        seen.add(v);
      }
      if (n <= 256) expect(seen.size).toBe(n);
    }
  });

  test("int(3) is uniform: the bytes that would bias it are rejected", () => {
    // 256 % 3 = 1: a plain byte % 3 would give 0 a share of 86/256 (+0.0026 over a third). With 3M
    // draws one share's standard deviation is 0.00027, so 0.0013 is ~5 of them from a fair draw
    // (never flaky) and ~5 short of the biased one (always caught).
    const counts = [0, 0, 0];
    const draws = 3_000_000;
    for (let i = 0; i < draws; i++) counts[systemRandom.int(3)]!++;
    for (const c of counts) expect(Math.abs(c / draws - 1 / 3)).toBeLessThan(0.0013);
  });

  test("fill() writes only [start, end), for pooled and direct sizes, across pool refills", () => {
    for (const n of [0, 1, 3, 64, 65, 5000]) {
      for (let round = 0; round < 200; round++) {
        const dst = new Uint8Array(n + 20).fill(0xee);
        systemRandom.fill(dst, 10, 10 + n);
        expect(dst.subarray(0, 10).every((b) => b === 0xee)).toBe(true);
        expect(dst.subarray(10 + n).every((b) => b === 0xee)).toBe(true);
        if (n >= 64 && round === 0) expect(dst.subarray(10, 10 + n).some((b) => b !== 0xee)).toBe(true);
      }
    }
  });

  test("bytes(n) has length n and successive draws differ", () => {
    for (const n of [1, 16, 64, 65, 256]) {
      expect(systemRandom.bytes(n).length).toBe(n);
    }
    const a = systemRandom.bytes(32);
    const b = systemRandom.bytes(32);
    expect(a.equals(b)).toBe(false);
  });
});

test("seededRandom: fill() draws the same bytes as bytes() would", () => {
  const a = seededRandom(42);
  const b = seededRandom(42);
  const viaBytes = Buffer.concat([a.bytes(3), a.bytes(70)]);
  const viaFill = Buffer.alloc(73);
  b.fill(viaFill, 0, 3);
  b.fill(viaFill, 3, 73);
  expect(viaFill.equals(viaBytes)).toBe(true);
});
