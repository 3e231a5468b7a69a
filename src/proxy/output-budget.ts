// One budget for the bytes every client session of a process holds for its client (framed but
// unflushed, plus its write queue). Past the limit the sessions holding the most are closed until
// the total is back under 3/4 of it. This is C's check_all_conn_buffers (mtproto-proxy.c), which C
// defines but never calls, so a few clients that never read make C assert near 256 MiB of buffers.

/** Members holding less than this are never shed: the budget goes after hoarders only. */
export const SHED_MIN_BYTES = 256 << 10;

export interface BudgetMember {
  /** Close because of the budget, reporting the release through update(). */
  shed(): void;
}

export class OutputBudget {
  readonly limitBytes: number;
  #total = 0;
  #shedding = false;
  /** Members at or above SHED_MIN_BYTES with their last reported bytes. */
  readonly #heavy = new Map<BudgetMember, number>();
  /** Sessions closed by the budget (C: connections_failed_lru). */
  shedCount = 0;

  constructor(limitBytes: number) {
    this.limitBytes = Math.max(1, limitBytes);
  }

  get totalBytes(): number {
    return this.#total;
  }

  /** A member's holding changed from `before` to `after` bytes; sheds when over the limit. */
  update(m: BudgetMember, before: number, after: number): void {
    this.#total += after - before;
    if (after >= SHED_MIN_BYTES) this.#heavy.set(m, after);
    else if (before >= SHED_MIN_BYTES) this.#heavy.delete(m);
    if (this.#total > this.limitBytes && !this.#shedding) this.#shed();
  }

  #shed(): void {
    this.#shedding = true;
    try {
      const target = (this.limitBytes * 3) / 4;
      while (this.#total > target && this.#heavy.size > 0) {
        let worst: BudgetMember | null = null;
        let most = -1;
        for (const [m, bytes] of this.#heavy) {
          if (bytes > most) {
            most = bytes;
            worst = m;
          }
        }
        this.shedCount++;
        worst!.shed();
        // a member that could not release is not chosen again (its bytes stay on the books)
        if (this.#heavy.get(worst!) === most) this.#heavy.delete(worst!);
      }
    } finally {
      this.#shedding = false;
    }
  }
}
