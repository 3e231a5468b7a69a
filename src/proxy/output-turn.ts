// One flush per event for every client that got output in it (C: the answers of one epoll round
// are written into each connection's buffer and flushed once at the end of it). The sessions' framed
// runs wait here, in arrays this object reuses, not in the sessions: a busy client then stores no
// reference into its own long-lived objects per answer, so the collector's remembered set does not
// grow with the number of clients (each eden pause rescans every old object written since the last).

/** A session's side of the turn. The three numbers are the turn's bookkeeping, kept on the owner. */
export interface TurnOwner {
  /** The epoch of the turn the owner has runs in; 0 when none. */
  turnEpoch: number;
  /** Index of its first and last run in the turn. */
  turnFirst: number;
  turnLast: number;
  /** The owner's runs of this turn, in the order they were added (one write's worth). */
  writeRuns(first: Uint8Array, more: Uint8Array[] | null): void;
}

export class OutputTurn {
  #owners: TurnOwner[] = [];
  #runs: Uint8Array[] = [];
  /** Per run: the index of the same owner's next run, -1 after its last. */
  #next: number[] = [];
  #epoch = 1;
  #scheduled = false;
  readonly #task = (): void => this.flush();

  /** Queues `run` for `owner`; all runs are written when the current event's microtasks run. */
  add(owner: TurnOwner, run: Uint8Array): void {
    const i = this.#runs.length;
    this.#runs.push(run);
    this.#next.push(-1);
    if (owner.turnEpoch === this.#epoch) {
      this.#next[owner.turnLast] = i;
      owner.turnLast = i;
    } else {
      owner.turnEpoch = this.#epoch;
      owner.turnFirst = owner.turnLast = i;
      this.#owners.push(owner);
    }
    if (!this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(this.#task);
    }
  }

  /** Writes `owner`'s runs now, if it has any (a graceful close sends them before its FIN). */
  flushOwner(owner: TurnOwner): void {
    if (owner.turnEpoch === this.#epoch) this.#emit(owner);
  }

  /**
   * Writes every owner's runs (the microtask; tests). Runs added meanwhile are written too. An owner
   * that throws does not keep the others' output back (as when each session had its own
   * microtask): the first error is rethrown once every owner has been written.
   */
  flush(): void {
    this.#scheduled = false;
    const owners = this.#owners;
    const epoch = this.#epoch;
    let failure: unknown = null;
    for (let k = 0; k < owners.length; k++) {
      const o = owners[k]!;
      if (o.turnEpoch !== epoch) continue;
      try {
        this.#emit(o);
      } catch (err) {
        failure ??= err;
      }
    }
    owners.length = 0;
    this.#runs.length = 0;
    this.#next.length = 0;
    this.#epoch++;
    if (failure !== null) throw failure;
  }

  #emit(owner: TurnOwner): void {
    owner.turnEpoch = 0;
    const runs = this.#runs;
    const next = this.#next;
    let i = owner.turnFirst;
    const first = runs[i]!;
    let more: Uint8Array[] | null = null;
    for (i = next[i]!; i >= 0; i = next[i]!) (more ??= []).push(runs[i]!);
    owner.writeRuns(first, more);
  }
}

/** The process's turn (sessions of one process share it; tests may pass their own). */
export const processOutputTurn = new OutputTurn();
