// The fixed-seed slice every fuzz test file runs in `make test`: a few thousand inputs per decoder,
// the same inputs on every run, with any failure printed in replayable form.
import { expect, test } from "bun:test";
import { formatFailure, fuzz } from "./harness.ts";
import type { AnyTarget } from "./targets.ts";

export const SLICE_SEED = 20240601;

export function fuzzSlice(target: AnyTarget, count: number, timeoutMs = 15_000): void {
  test(`${target.name}: ${count} fixed-seed inputs, no throw, every property holds`, async () => {
    const r = await fuzz(target, count, SLICE_SEED);
    for (const f of r.failures) if (f.index >= 0) console.error(formatFailure(f));
    expect(r.failures.map((f) => `${f.index}: ${f.problem.split("\n")[0]}`)).toEqual([]);
    expect(r.inputs).toBe(count);
  }, timeoutMs);
}
