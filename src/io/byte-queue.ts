// Inbound byte queue: the chunks Bun hands to `data`, kept as a list with a byte count so a
// parser can look at and consume exactly n bytes (STYLE.md "Incremental parsing", like ws
// lib/receiver.js). Copies only when a read spans chunks, and then at most once per byte.

const EMPTY = Buffer.alloc(0);

export class ByteQueue {
  #chunks: Buffer[] = [];
  #first = 0; // index of the head chunk in #chunks
  #offset = 0; // bytes of the head chunk already consumed
  #length = 0;

  /** Bytes queued. */
  get length(): number {
    return this.#length;
  }

  /** Appends `chunk`; the queue owns it from now on and never writes into it. */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.#chunks.push(buf);
    this.#length += buf.length;
  }

  /**
   * The first n bytes, contiguous, without removing them. A view of the head chunk when it holds
   * them all; otherwise the spanned chunks are merged once, so peeking again is free. The result
   * stays valid after consume (chunks are never written to), so a caller may keep it.
   */
  peek(n: number): Buffer {
    this.#check(0, n);
    if (n === 0) return EMPTY;
    const head = this.#chunks[this.#first]!;
    if (this.#offset + n <= head.length) return head.subarray(this.#offset, this.#offset + n);
    return this.#coalesce(n);
  }

  /** Removes and returns the first n bytes (a view when possible, as `peek`). */
  consume(n: number): Buffer {
    const out = this.peek(n);
    this.#advance(n);
    return out;
  }

  /** Drops the first n bytes without materialising them. */
  skip(n: number): void {
    this.#check(0, n);
    this.#advance(n);
  }

  /** Removes everything and returns it as one buffer (a view when there is one chunk). */
  consumeAll(): Buffer {
    return this.consume(this.#length);
  }

  byteAt(offset: number): number {
    this.#check(offset, 1);
    let i = this.#first;
    let pos = this.#offset + offset;
    while (pos >= this.#chunks[i]!.length) pos -= this.#chunks[i++]!.length;
    return this.#chunks[i]![pos]!;
  }

  /** u32 little-endian at `offset` from the front, read in place even across chunk borders. */
  readUInt32LE(offset: number): number {
    this.#check(offset, 4);
    const head = this.#chunks[this.#first]!;
    const pos = this.#offset + offset;
    if (pos + 4 <= head.length) return head.readUInt32LE(pos);
    let i = this.#first;
    let p = pos;
    let value = 0;
    for (let k = 0; k < 4; k++) {
      while (p >= this.#chunks[i]!.length) p -= this.#chunks[i++]!.length;
      value |= this.#chunks[i]![p++]! << (8 * k);
    }
    return value >>> 0;
  }

  clear(): void {
    this.#chunks = [];
    this.#first = 0;
    this.#offset = 0;
    this.#length = 0;
  }

  #check(offset: number, n: number): void {
    if (!(offset >= 0 && n >= 0 && offset + n <= this.#length)) {
      throw new RangeError(`ByteQueue: ${n} bytes at ${offset} requested, ${this.#length} queued`);
    }
  }

  // Replaces the chunks that hold the first n bytes with one buffer of exactly those bytes.
  #coalesce(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    const chunks = this.#chunks;
    let copied = 0;
    let i = this.#first;
    let off = this.#offset;
    while (copied < n) {
      const c = chunks[i]!;
      const take = Math.min(c.length - off, n - copied);
      c.copy(out, copied, off, off + take);
      copied += take;
      off += take;
      if (off === c.length) {
        chunks[i++] = EMPTY;
        off = 0;
      }
    }
    if (off > 0) chunks[i] = chunks[i]!.subarray(off);
    // The head spanned at least two chunks, so slot i-1 is free to hold the merged bytes.
    chunks[i - 1] = out;
    this.#first = i - 1;
    this.#offset = 0;
    return out;
  }

  #advance(n: number): void {
    this.#length -= n;
    if (this.#length === 0) {
      this.#chunks.length = 0;
      this.#first = 0;
      this.#offset = 0;
      return;
    }
    const chunks = this.#chunks;
    while (n > 0) {
      const avail = chunks[this.#first]!.length - this.#offset;
      if (n < avail) {
        this.#offset += n;
        return;
      }
      n -= avail;
      chunks[this.#first++] = EMPTY;
      this.#offset = 0;
    }
    // Keep the dead prefix from growing without bound on a long-lived busy queue.
    if (this.#first > 64 && this.#first * 2 > chunks.length) {
      chunks.splice(0, this.#first);
      this.#first = 0;
    }
  }
}
