// The harness itself: a throw or a chunking-dependent result is caught and reported with the seed,
// index and a hex dump, the report replays the same input, and generators never touch their seeds.
import { describe, expect, test } from "bun:test";
import { chunksOf, mutate, randomSplits, rngFor } from "./generators.ts";
import { formatFailure, fuzz, type FuzzTarget } from "./harness.ts";

const bytesTarget = (run: (b: Uint8Array, splits: readonly number[]) => unknown, incremental = false): FuzzTarget<Uint8Array, unknown> => ({
  name: "self-test",
  incremental,
  makeInput: (rng) => rng.bytes(1 + rng.int(64)),
  run,
});

describe("fuzz harness", () => {
  test("a throw is a failure with seed, index and a hex dump, and the index replays the same input", async () => {
    const seen = new Map<number, string>();
    const target = bytesTarget((b) => {
      if (b[0]! < 8) throw new RangeError("ByteQueue: 4 bytes at 0 requested, 1 queued");
      return b.length;
    });
    const r = await fuzz(target, 400, 77, { keepFailures: 3 });
    expect(r.failures.length).toBeGreaterThan(3); // ~1/32 of 400 inputs start below 8
    const f = r.failures[0]!;
    expect(f.problem).toContain("threw in run (whole): RangeError");
    const text = formatFailure(f);
    expect(text).toContain(`seed 77 index ${f.index}`);
    expect(text).toContain("--only self-test --seed 77 --index");
    expect(text).toMatch(/000000 {2}0[0-7]/);

    const replay = await fuzz({ ...target, makeInput: (rng, i) => (seen.set(i, "x"), target.makeInput(rng, i)) }, 1, 77, { startIndex: f.index });
    expect(replay.failures.map((x) => x.input)).toEqual([f.input]);
    expect([...seen.keys()]).toEqual([f.index]);
  });

  test("an incremental decoder whose result depends on the chunking is reported", async () => {
    const r = await fuzz(bytesTarget((b, splits) => ({ n: b.length, chunks: splits.length }), true), 50, 5);
    expect(r.failures.length).toBeGreaterThan(25);
    expect(r.failures[0]!.problem).toContain("differs from whole");
  });

  test("a violated property is reported; a clean target has none", async () => {
    const bad = await fuzz({ ...bytesTarget((b) => b.length), check: (n) => ((n as number) > 60 ? "too long" : null) }, 200, 9);
    expect(bad.failures.some((f) => f.problem === "property violated: too long")).toBe(true);
    const good = await fuzz(bytesTarget((b, splits) => Buffer.concat(chunksOf(b, splits)).length, true), 200, 9);
    expect(good.failures).toEqual([]);
    expect(good.inputs).toBe(200);
  });

  test("mutations leave the seed intact; splits are sorted cut points whose chunks rebuild the input", () => {
    const seed = Uint8Array.from({ length: 100 }, (_, i) => i);
    for (let i = 0; i < 500; i++) {
      const rng = rngFor(1, i);
      mutate(rng, seed, [seed]);
      const splits = randomSplits(rng, 100);
      expect(splits.every((s, k) => s > 0 && s < 100 && (k === 0 || s > splits[k - 1]!))).toBe(true);
      expect(Buffer.concat(chunksOf(seed, splits)).equals(Buffer.from(seed))).toBe(true);
    }
    expect(seed.every((v, i) => v === i)).toBe(true);
  });
});
