// ext_conn_id allocation (backend-rpc.md §10.6). C derives ids from a 2^22-slot table keyed by the
// client fd and bumps a per-slot generation; ours is one counter per pool that never repeats, so an
// answer still in flight for a closed client can never reach the client that comes after it.

export class ConnIdAllocator {
  #next: number;

  /** Starts at C's first id shape (0x400000) so ids look familiar in ME-side logs. */
  constructor(start = 0x400000) {
    this.#next = start > 0 && Number.isSafeInteger(start) ? start : 1;
  }

  /**
   * A non-zero i64 below 2^53 (so the link keys it by number; 2^53 ids at a million a second take
   * 285 years), unique for the life of this allocator. A number, not a BigInt: a binding holds it for
   * the client's life, and a BigInt would be one more heap cell per client.
   */
  allocate(): number {
    const id = this.#next;
    this.#next = id >= Number.MAX_SAFE_INTEGER ? 1 : id + 1;
    return id;
  }
}
