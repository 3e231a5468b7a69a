// Beyond C: hands freed buffers back to the OS after a burst. JSC collects when JS allocates, so a
// proxy that goes quiet after a flood of 1 MiB answers keeps its garbage (+100 MiB and more) for
// good. Every tick, if RSS grew past the last post-collection figure by `growthBytes`, collect.

export const RECLAIM_INTERVAL_MS = 2_000;
export const RECLAIM_GROWTH_BYTES = 64 << 20;

export interface ReclaimDeps {
  readonly rssBytes: () => number;
  /** A full synchronous collection (Bun.gc(true) in production). */
  readonly collect: () => void;
  readonly intervalMs?: number;
  readonly growthBytes?: number;
}

export class MemoryReclaimer {
  readonly #deps: ReclaimDeps;
  readonly #growth: number;
  #floor: number | null = null;
  #timer: ReturnType<typeof setInterval> | null = null;
  /** Collections run so far. */
  collections = 0;

  constructor(deps: ReclaimDeps) {
    this.#deps = deps;
    this.#growth = deps.growthBytes ?? RECLAIM_GROWTH_BYTES;
  }

  start(): void {
    if (this.#timer) return;
    this.#floor = this.#deps.rssBytes();
    this.#timer = setInterval(() => this.tick(), this.#deps.intervalMs ?? RECLAIM_INTERVAL_MS);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  /** One check; public so tests can drive it. */
  tick(): void {
    const rss = this.#deps.rssBytes();
    if (this.#floor === null || rss < this.#floor) {
      this.#floor = rss;
      return;
    }
    if (rss <= this.#floor + this.#growth) return;
    this.#deps.collect();
    this.collections++;
    this.#floor = this.#deps.rssBytes();
  }
}
