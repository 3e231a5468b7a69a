// bench/support/stalls.ts: which slow round trips overlap a load-generator stall (the bench's
// evidence for how much of a p99 row the rig itself made).
import { expect, test } from "bun:test";
import { slowInStalls, StallRecorder, tailShareInStalls } from "../../bench/support/stalls.ts";

test("a slow round trip counts when a stall falls between its send and its echo, not before or after", () => {
  const stalls = [100, 103, 200, 204, 300, 302];
  // [send, echo]: 95..101 overlaps 100..103; 104..110 starts after it; 190..199 ends before 200;
  // 199..250 spans 200..204; 303..305 is after the last; a fast 201..202 inside a stall is not slow
  const sends = [95, 104, 190, 199, 303, 201];
  const echoes = [101, 110, 199, 250, 305, 202];
  const rtt = Float64Array.from(echoes, (e, i) => e - sends[i]!);
  const r = slowInStalls(rtt, Float64Array.from(echoes), 2, stalls);
  expect(r).toEqual({ slow: 5, inStalls: 2 });
});

test("no stalls: none of the slow round trips is the rig's", () => {
  const r = slowInStalls(Float64Array.of(5, 1, 7), Float64Array.of(10, 20, 30), 5, []);
  expect(r).toEqual({ slow: 2, inStalls: 0 });
});

test("the recorder notes a blocked event loop as one stall covering the block", async () => {
  const rec = new StallRecorder(5);
  rec.start();
  await Bun.sleep(5);
  const t0 = performance.now();
  while (performance.now() - t0 < 30) {} // the event loop cannot run the 1 ms timer for 30 ms
  const t1 = performance.now();
  await Bun.sleep(5);
  const stalls = rec.stop();
  const covering = [];
  for (let i = 0; i < stalls.length; i += 2) if (stalls[i]! <= t0 + 1 && stalls[i + 1]! >= t1) covering.push(stalls[i + 1]! - stalls[i]!);
  expect(covering.length).toBe(1);
  expect(covering[0]!).toBeGreaterThanOrEqual(30);
});

test("the share pools several runs, each against its own stalls", () => {
  // run a: two slow round trips, one in its stall; run b: two slow, both in its stalls, one fast
  const a = { rttMs: Float64Array.of(5, 5), echoAtMs: Float64Array.of(10, 50), stalls: [8, 9] };
  const b = { rttMs: Float64Array.of(5, 5, 1), echoAtMs: Float64Array.of(10, 50, 60), stalls: [7, 8, 46, 47] };
  expect(tailShareInStalls([a, b], 5)).toBe(75);
  // without b's own stalls only a's one counts: a's stall at 8..9 would cover b's 5..10 if shared
  expect(tailShareInStalls([{ ...b, stalls: [] }, a], 5)).toBe(25);
});
