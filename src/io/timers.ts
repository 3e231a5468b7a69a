// Coarse timers for many connections (idle, handshake and ping timeouts): one interval drives a
// hashed wheel. Arming and refreshing a timer only writes a deadline; an entry is re-bucketed
// lazily when its slot comes round. Accuracy: never early, up to one tick late.
// Measured (Bun 1.4.5, bench/io.ts): native setTimeout+refresh() is as cheap (refresh ~25 M/s
// both, ~120 B heap per timer both, 100k expiries ~25 ms both). The wheel is used for its
// injectable clock (deterministic tests without fake timers) and one interval per process.

export type Clock = () => number;

export interface TimerHandle {
  /** Re-arms the timer to fire `ms` from now (its original delay when omitted). */
  refresh(ms?: number): void;
  cancel(): void;
  readonly active: boolean;
}

export interface CoarseTimersOptions {
  /** Wheel resolution; also the worst-case lateness. */
  tickMs?: number;
  /** Milliseconds, monotonic in production (performance.now), injectable in tests. */
  clock?: Clock;
  /** false: no interval is created; the owner calls tick() (tests, or a loop it already has). */
  autoTick?: boolean;
}

const SLOTS = 512; // a power of two: slot = tick & (SLOTS - 1)

class Entry implements TimerHandle {
  deadline: number;
  slotTick = -1;
  live = true;
  constructor(
    readonly owner: CoarseTimers,
    public delayMs: number,
    readonly callback: () => void,
  ) {
    this.deadline = owner.now() + delayMs;
  }
  get active(): boolean {
    return this.live;
  }
  refresh(ms?: number): void {
    if (ms !== undefined) this.delayMs = ms;
    this.deadline = this.owner.now() + this.delayMs;
    if (!this.live) {
      this.live = true;
      this.owner.revive(this);
    } else if (this.owner.tickOf(this.deadline) < this.slotTick) {
      // A later deadline waits for its slot to come round; an earlier one must move now.
      this.owner.move(this);
    }
  }
  cancel(): void {
    if (!this.live) return;
    this.live = false;
    this.owner.removed();
  }
}

export class CoarseTimers {
  readonly #tickMs: number;
  readonly #clock: Clock;
  readonly #auto: boolean;
  readonly #slots: Entry[][] = Array.from({ length: SLOTS }, () => []);
  #spare: Entry[] = [];
  #doneTick: number; // every slot up to this tick has been processed
  #size = 0;
  #interval: ReturnType<typeof setInterval> | undefined;

  constructor(options: CoarseTimersOptions = {}) {
    this.#tickMs = options.tickMs ?? 250;
    this.#clock = options.clock ?? (() => performance.now());
    this.#auto = options.autoTick ?? true;
    if (!(this.#tickMs > 0)) throw new RangeError("CoarseTimers: tickMs must be positive");
    this.#doneTick = Math.floor(this.#clock() / this.#tickMs);
  }

  /** Live timers. */
  get size(): number {
    return this.#size;
  }

  /** Calls `callback` once, no earlier than `ms` from now. */
  after(ms: number, callback: () => void): TimerHandle {
    const e = new Entry(this, ms, callback);
    this.add(e);
    return e;
  }

  /** Fires every timer due at `now`; returns how many fired. Driven by the interval when autoTick. */
  tick(now: number = this.#clock()): number {
    const target = Math.floor(now / this.#tickMs);
    let fired = 0;
    // After a long stall every slot is visited once; entries re-bucket by their own deadline.
    for (let t = Math.max(this.#doneTick + 1, target - SLOTS + 1); t <= target; t++) {
      const slot = t & (SLOTS - 1);
      const list = this.#slots[slot]!;
      if (list.length === 0) continue;
      this.#slots[slot] = this.#spare;
      this.#doneTick = t; // entries re-placed below must land after this slot
      for (const e of list) {
        if (!e.live) e.slotTick = -1; // cancelled: dropped here, lazily
        else if (e.slotTick > t) this.#put(e, e.slotTick); // a later revolution
        else if (e.deadline <= now) {
          e.live = false;
          e.slotTick = -1;
          this.removed();
          fired++;
          e.callback();
        } else this.place(e); // refreshed since it was placed
      }
      list.length = 0;
      this.#spare = list;
    }
    if (target > this.#doneTick) this.#doneTick = target;
    return fired;
  }

  /** Cancels every timer and stops the interval. */
  stop(): void {
    for (const list of this.#slots) {
      for (const e of list) {
        e.live = false;
        e.slotTick = -1;
      }
      list.length = 0;
    }
    this.#size = 0;
    this.#stopInterval();
  }

  // ---- used by Entry (module-internal) ----

  now(): number {
    return this.#clock();
  }

  tickOf(ms: number): number {
    return Math.ceil(ms / this.#tickMs);
  }

  add(e: Entry): void {
    this.place(e);
    this.#counted();
  }

  /** A cancelled entry armed again: it may still sit, dead, in a slot. */
  revive(e: Entry): void {
    if (e.slotTick === -1) this.place(e);
    else if (this.tickOf(e.deadline) < e.slotTick) this.move(e);
    this.#counted();
  }

  place(e: Entry): void {
    this.#put(e, Math.max(this.tickOf(e.deadline), this.#doneTick + 1));
  }

  /** Takes `e` out of its slot (rare: only when a deadline moves earlier) and places it again. */
  move(e: Entry): void {
    const list = this.#slots[e.slotTick & (SLOTS - 1)]!;
    const i = list.indexOf(e);
    if (i >= 0) {
      list[i] = list[list.length - 1]!;
      list.pop();
    }
    this.place(e);
  }

  removed(): void {
    if (--this.#size === 0) this.#stopInterval();
  }

  #counted(): void {
    if (this.#size++ === 0 && this.#auto) {
      this.#interval = setInterval(() => this.tick(), this.#tickMs);
      this.#interval.unref();
    }
  }

  #put(e: Entry, tick: number): void {
    e.slotTick = tick;
    this.#slots[tick & (SLOTS - 1)]!.push(e);
  }

  #stopInterval(): void {
    if (this.#interval !== undefined) clearInterval(this.#interval);
    this.#interval = undefined;
  }
}
