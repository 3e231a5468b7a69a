// Beyond C: hands freed buffers back to the OS after a burst. JSC collects when JS allocates, so a
// proxy that goes quiet after a flood of 1 MiB answers keeps its garbage (+100 MiB and more) for
// good. Every tick, if RSS grew past the last post-collection figure by `growthBytes` and the proxy
// has gone quiet, collect. Not while traffic flows: JSC collects then by itself (eden collections
// several times a second, full ones about every second under load), and a synchronous full
// collection of ours is a ~5 ms pause that every client in flight waits out.

export const RECLAIM_INTERVAL_MS = 2_000;
export const RECLAIM_GROWTH_BYTES = 64 << 20;
/** Bytes moved in one interval below which the proxy counts as quiet (1 MiB in 2 s). */
export const RECLAIM_QUIET_BYTES = 1 << 20;

export interface ReclaimDeps {
  readonly rssBytes: () => number;
  /** A full synchronous collection (Bun.gc(true) in production). */
  readonly collect: () => void;
  readonly intervalMs?: number;
  readonly growthBytes?: number;
  /** A counter that grows with traffic (bytes moved); none: always quiet. */
  readonly activity?: () => number;
  /** At most this much activity during one interval counts as quiet. */
  readonly quietActivity?: number;
}

export class MemoryReclaimer {
  readonly #deps: ReclaimDeps;
  readonly #growth: number;
  #floor: number | null = null;
  #lastActivity: number | null = null;
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
    const activity = this.#deps.activity?.() ?? 0;
    const moved = this.#lastActivity === null ? 0 : activity - this.#lastActivity;
    this.#lastActivity = activity;
    if (this.#floor === null || rss < this.#floor) {
      this.#floor = rss;
      return;
    }
    if (rss <= this.#floor + this.#growth) return;
    if (moved > (this.#deps.quietActivity ?? RECLAIM_QUIET_BYTES)) return; // busy: JSC is collecting
    this.#deps.collect();
    this.collections++;
    this.#floor = this.#deps.rssBytes();
  }
}
