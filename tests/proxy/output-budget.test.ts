// The process-wide output budget: hoarders (the sessions holding the most) are shed until the total
// is under 3/4 of the limit; small holders are never chosen; the books stay balanced.
import { describe, expect, test } from "bun:test";
import { OutputBudget, SHED_MIN_BYTES, type BudgetMember } from "../../src/proxy/output-budget.ts";

class Member implements BudgetMember {
  held = 0;
  shedCalls = 0;
  constructor(
    readonly budget: OutputBudget,
    readonly releases = true,
  ) {}
  hold(n: number): void {
    const before = this.held;
    this.held = n;
    this.budget.update(this, before, n);
  }
  shed(): void {
    this.shedCalls++;
    if (this.releases) this.hold(0);
  }
}

const MiB = 1 << 20;

describe("OutputBudget", () => {
  test("under the limit nothing is shed and the total is the sum of what members hold", () => {
    const b = new OutputBudget(16 * MiB);
    const ms = Array.from({ length: 5 }, () => new Member(b));
    ms.forEach((m, i) => m.hold((i + 1) * MiB));
    expect(b.totalBytes).toBe(15 * MiB);
    expect(ms.every((m) => m.shedCalls === 0)).toBe(true);
    ms.forEach((m) => m.hold(0));
    expect(b.totalBytes).toBe(0);
  });

  test("over the limit the largest holders go first, down to 3/4 of the limit", () => {
    const b = new OutputBudget(16 * MiB);
    const small = new Member(b);
    const mid = new Member(b);
    const big = new Member(b);
    small.hold(SHED_MIN_BYTES - 1);
    mid.hold(6 * MiB);
    big.hold(9 * MiB);
    const trigger = new Member(b);
    trigger.hold(2 * MiB); // total 17 MiB + a bit > 16 MiB
    expect(big.shedCalls).toBe(1);
    expect(mid.shedCalls).toBe(0); // 17 - 9 = 8 MiB ≤ 12 MiB
    expect(small.shedCalls).toBe(0);
    expect(b.totalBytes).toBeLessThanOrEqual(12 * MiB);
    expect(b.shedCount).toBe(1);
  });

  test("many small holders over the limit are left alone (only hoarders are shed)", () => {
    const b = new OutputBudget(MiB);
    const ms = Array.from({ length: 64 }, () => new Member(b));
    for (const m of ms) m.hold(32 << 10);
    expect(b.totalBytes).toBe(2 * MiB);
    expect(ms.every((m) => m.shedCalls === 0)).toBe(true);
  });

  test("a member that cannot release is not chosen again (no endless loop)", () => {
    const b = new OutputBudget(4 * MiB);
    const stuck = new Member(b, false);
    stuck.hold(5 * MiB);
    expect(stuck.shedCalls).toBe(1);
    stuck.hold(5 * MiB + 4);
    // it reported again: it is a candidate once more, shed once per report, never in a loop
    expect(stuck.shedCalls).toBe(2);
  });
});
