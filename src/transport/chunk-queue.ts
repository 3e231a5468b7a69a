// A list of received chunks with a byte count and consume(n) (the ws receiver pattern,
// STYLE.md "Incremental parsing"): frames are cut as views of the chunk that holds them and
// copied only when they straddle chunks, so decoding never walks bytes in JS.

export class ChunkQueue {
  #chunks: Uint8Array[] = [];
  #first = 0; // index of the first live chunk
  #offset = 0; // bytes already consumed from the first live chunk
  #length = 0;

  get length(): number {
    return this.#length;
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#length += chunk.length;
  }

  /** Byte `i` (0-based from the head); the caller checks `i < length`. */
  byteAt(i: number): number {
    let idx = this.#first;
    let pos = i + this.#offset;
    for (;;) {
      const c = this.#chunks[idx]!;
      if (pos < c.length) return c[pos]!;
      pos -= c.length;
      idx++;
    }
  }

  /** Little-endian u32 of the first 4 bytes; the caller checks `length >= 4`. */
  u32le(): number {
    const c = this.#chunks[this.#first]!;
    const o = this.#offset;
    if (c.length - o >= 4) return (c[o]! | (c[o + 1]! << 8) | (c[o + 2]! << 16) | (c[o + 3]! << 24)) >>> 0;
    return (this.byteAt(0) | (this.byteAt(1) << 8) | (this.byteAt(2) << 16) | (this.byteAt(3) << 24)) >>> 0;
  }

  /** Removes and returns the first `n` bytes: a view when they sit in one chunk, else a copy. */
  take(n: number): Uint8Array {
    if (n === 0) return new Uint8Array(0);
    const c = this.#chunks[this.#first]!;
    const o = this.#offset;
    if (c.length - o >= n) {
      const view = c.subarray(o, o + n);
      this.skip(n);
      return view;
    }
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const cur = this.#chunks[this.#first]!;
      const avail = cur.length - this.#offset;
      const k = Math.min(avail, n - filled);
      out.set(cur.subarray(this.#offset, this.#offset + k), filled);
      filled += k;
      this.skip(k);
    }
    return out;
  }

  skip(n: number): void {
    this.#length -= n;
    while (n > 0) {
      const c = this.#chunks[this.#first]!;
      const avail = c.length - this.#offset;
      if (n < avail) {
        this.#offset += n;
        return;
      }
      n -= avail;
      this.#chunks[this.#first] = EMPTY;
      this.#first++;
      this.#offset = 0;
    }
    if (this.#first > 32 && this.#first * 2 > this.#chunks.length) {
      this.#chunks = this.#chunks.slice(this.#first);
      this.#first = 0;
    }
  }

  /** Removes everything buffered (one view or one copy). */
  takeAll(): Uint8Array {
    return this.take(this.#length);
  }
}

const EMPTY = new Uint8Array(0);
