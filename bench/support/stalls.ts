// The load generator's own event-loop stalls, and how many of the slowest round trips they overlap.
// On a 2-core machine the proxy, the fake ME and the load generator (this process) share the cores:
// a round trip is timed when this process reads the echo, so a stall here (its collector, or the
// kernel running the other two) lengthens it whatever the proxy did. The share tells how much of a
// p99 row is the rig's: it is printed next to the p99 rows of both proxies.

/** A 1 ms timer that notes every gap longer than `thresholdMs` as [from, to] (performance.now()). */
export class StallRecorder {
  readonly #thresholdMs: number;
  readonly #stalls: number[] = [];
  #timer: ReturnType<typeof setInterval> | null = null;
  #last = 0;

  constructor(thresholdMs: number) {
    this.#thresholdMs = thresholdMs;
  }

  start(): void {
    this.#last = performance.now();
    this.#timer = setInterval(() => {
      const now = performance.now();
      if (now - this.#last > this.#thresholdMs) this.#stalls.push(this.#last, now);
      this.#last = now;
    }, 1);
  }

  /** Stops the timer; the stalls seen, as a flat [from, to, from, to, …] list in time order. */
  stop(): number[] {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    return this.#stalls;
  }
}

/**
 * How many round trips took `thresholdMs` or longer (`rttMs[i]` ended at `echoAtMs[i]`), and how
 * many of those overlap one of `stalls` (StallRecorder.stop()) between their send and their echo.
 */
export function slowInStalls(rttMs: Float64Array, echoAtMs: Float64Array, thresholdMs: number, stalls: number[]): { slow: number; inStalls: number } {
  let slow = 0;
  let inStalls = 0;
  for (let i = 0; i < rttMs.length; i++) {
    if (rttMs[i]! < thresholdMs) continue;
    slow++;
    if (overlapsAny(stalls, echoAtMs[i]! - rttMs[i]!, echoAtMs[i]!)) inStalls++;
  }
  return { slow, inStalls };
}

/** One load run's round trips (`rttMs[i]` ended at `echoAtMs[i]`) and the stalls seen during it. */
export interface TimedRun {
  rttMs: Float64Array;
  echoAtMs: Float64Array;
  stalls: number[];
}

/** Of the round trips at or over `thresholdMs` in all `runs`, the share (%) that overlap a stall of their run. */
export function tailShareInStalls(runs: readonly TimedRun[], thresholdMs: number): number {
  let slow = 0;
  let inStalls = 0;
  for (const r of runs) {
    const n = slowInStalls(r.rttMs, r.echoAtMs, thresholdMs, r.stalls);
    slow += n.slow;
    inStalls += n.inStalls;
  }
  return (100 * inStalls) / slow;
}

/** Whether [from, to] overlaps a stall (binary search on the sorted stall ends). */
function overlapsAny(stalls: number[], from: number, to: number): boolean {
  let lo = 0;
  let hi = stalls.length >> 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (stalls[mid * 2 + 1]! <= from) lo = mid + 1;
    else hi = mid;
  }
  return lo < stalls.length >> 1 && stalls[lo * 2]! < to;
}
