// ext_conn_id allocation (backend-rpc.md §10.6). C derives ids from a 2^22-slot table keyed by the
// client fd and bumps a per-slot generation; ours is one counter per pool that never repeats, so an
// answer still in flight for a closed client can never reach the client that comes after it.

const MAX_ID = BigInt(Number.MAX_SAFE_INTEGER);

export class ConnIdAllocator {
  #next: bigint;

  /** Starts at C's first id shape (0x400000) so ids look familiar in ME-side logs. */
  constructor(start = 0x400000n) {
    this.#next = start > 0n ? start : 1n;
  }

  /**
   * A non-zero i64 below 2^53 (so the link keys it by number; 2^53 ids at a million a second take
   * 285 years), unique for the life of this allocator.
   */
  allocate(): bigint {
    const id = this.#next;
    this.#next = id >= MAX_ID ? 1n : id + 1n;
    return id;
  }
}
