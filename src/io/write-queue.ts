// The only way a socket is written (STYLE.md "Bytes and ownership"; BUN-NOTES.md: Bun's write()
// is unbuffered and may take part of the data). Queues chunks, coalesces them into one write per
// flush, keeps the unwritten tail until `drain`, and reports backpressure through water marks.
//
// Flush timing ("flushMode"):
// - "microtask" (default): writes made during one event are batched and sent by one write() in
//   a microtask, i.e. before Bun delivers the next I/O event. TCP_NODELAY is on, so this turns
//   N frames of one event into one syscall and one segment. One queueMicrotask per busy event.
// - "manual": nothing is sent until flush(); the caller flushes at the end of its handler.
// - "immediate": every write() is tried at once (a lone chunk goes straight to the kernel,
//   no microtask, no copy); fine for one large write per event, wasteful for many small ones.
// In every mode, call flush() from the socket's `drain` handler.

/** The part of a Bun socket the queue needs. */
export interface WritableSocket {
  /** Bytes the kernel took (may be fewer than asked, or 0), or -1 when the socket is closed. */
  write(data: Uint8Array, byteOffset?: number, byteLength?: number): number;
  end(): void;
}

export type FlushMode = "microtask" | "manual" | "immediate";

/** ok: queued; backpressure: queued but above the high-water mark (pause the source);
 * overflow: NOT queued, the hard cap would be exceeded (close the connection);
 * closed: NOT queued, end() was called or the socket is gone. */
export type WriteResult = "ok" | "backpressure" | "overflow" | "closed";

export interface WriteQueueOptions {
  highWaterMark?: number;
  lowWaterMark?: number;
  /** Hard cap on pendingBytes. */
  maxPendingBytes?: number;
  /** Largest single write() built by coalescing small chunks. */
  maxWriteBytes?: number;
  flushMode?: FlushMode;
  /** pendingBytes went above highWaterMark: pause whatever produces the data. */
  onHigh?: () => void;
  /** After onHigh, pendingBytes fell to lowWaterMark or below: resume. */
  onLow?: () => void;
  /** The socket reported itself closed (write returned -1); everything queued was dropped. */
  onClosed?: () => void;
}

export const WRITE_QUEUE_DEFAULTS = {
  highWaterMark: 1 << 20,
  lowWaterMark: 256 << 10,
  maxPendingBytes: 16 << 20,
  maxWriteBytes: 256 << 10,
} as const;

const EMPTY = Buffer.alloc(0);

export class WriteQueue {
  readonly #socket: WritableSocket;
  readonly #high: number;
  readonly #low: number;
  readonly #cap: number;
  readonly #maxWrite: number;
  readonly #mode: FlushMode;
  readonly #onHigh: (() => void) | undefined;
  /**
   * WriteQueueOptions.onLow; may be set later by an owner that only sometimes needs it (a client
   * session needs it only once it relays: most clients never hold a closure for it).
   */
  onLow: (() => void) | undefined;
  readonly #onClosed: (() => void) | undefined;
  /** The microtask flush, made on first use: queues in "immediate" mode (every session's) never need it. */
  #flushTask: (() => void) | null = null;

  /** Made at the first chunk the kernel does not take at once (most queues never need it). */
  #chunks: Uint8Array[] | null = null;
  #first = 0;
  #headOffset = 0; // bytes of the head chunk already written
  #pending = 0;
  #scheduled = false;
  #waitingDrain = false;
  #above = false;
  #ending = false;
  #closed = false;

  constructor(socket: WritableSocket, options: WriteQueueOptions = {}) {
    this.#socket = socket;
    this.#high = options.highWaterMark ?? WRITE_QUEUE_DEFAULTS.highWaterMark;
    this.#low = options.lowWaterMark ?? Math.min(WRITE_QUEUE_DEFAULTS.lowWaterMark, this.#high >>> 2);
    this.#cap = options.maxPendingBytes ?? Math.max(WRITE_QUEUE_DEFAULTS.maxPendingBytes, this.#high);
    this.#maxWrite = options.maxWriteBytes ?? WRITE_QUEUE_DEFAULTS.maxWriteBytes;
    this.#mode = options.flushMode ?? "microtask";
    this.#onHigh = options.onHigh;
    this.onLow = options.onLow;
    this.#onClosed = options.onClosed;
    if (!(this.#low <= this.#high && this.#high <= this.#cap && this.#maxWrite > 0)) {
      throw new RangeError("WriteQueue: need lowWaterMark <= highWaterMark <= maxPendingBytes");
    }
  }

  /** Bytes accepted by write() and not yet taken by the kernel. */
  get pendingBytes(): number {
    return this.#pending;
  }

  /** True from onHigh until onLow. */
  get isAboveHighWater(): boolean {
    return this.#above;
  }

  /** The kernel refused part of a write; nothing more is tried until flush() (from `drain`). */
  get isWaitingDrain(): boolean {
    return this.#waitingDrain;
  }

  get isClosed(): boolean {
    return this.#closed || this.#ending;
  }

  /** Queues `chunk`, which belongs to the queue from now on. */
  write(chunk: Uint8Array): WriteResult {
    if (this.#closed || this.#ending) return "closed";
    const len = chunk.length;
    if (this.#pending + len > this.#cap) return "overflow";
    if (len === 0) return this.#above ? "backpressure" : "ok";
    if (this.#mode === "immediate" && this.#pending === 0 && !this.#waitingDrain) {
      // nothing queued: straight to the kernel, and only a refused tail is kept (the common write
      // stores nothing, so a busy connection does not dirty the queue for the collector each time)
      const n = this.#sendNow(chunk);
      if (n < 0) return "closed";
      if (n === len) return this.#above ? "backpressure" : "ok";
      chunk = chunk.subarray(n);
    }
    (this.#chunks ??= []).push(chunk);
    this.#pending += chunk.length;
    if (this.#pending > this.#high && !this.#above) {
      this.#above = true;
      this.#onHigh?.();
    }
    if (!this.#waitingDrain) {
      if (this.#mode === "immediate") this.flush();
      else if (this.#mode === "microtask" && !this.#scheduled) {
        this.#scheduled = true;
        queueMicrotask((this.#flushTask ??= () => {
          this.#scheduled = false;
          this.flush();
        }));
      }
    }
    return this.#above ? "backpressure" : "ok";
  }

  /**
   * Queues `chunk`, which the caller reuses as soon as this returns (a scratch buffer): when nothing
   * is queued it goes to the kernel at once and only the part the kernel refused is copied; otherwise
   * it is copied whole. The middle-end link encrypts each batch in one reused buffer through this.
   */
  writeCopy(chunk: Uint8Array): WriteResult {
    if (this.#closed || this.#ending) return "closed";
    const len = chunk.length;
    if (this.#pending + len > this.#cap) return "overflow";
    if (len === 0 || this.#pending > 0 || this.#waitingDrain) return len === 0 ? this.write(chunk) : this.write(Buffer.from(chunk));
    const n = this.#sendNow(chunk);
    if (n < 0) return "closed";
    if (n === len) return this.#above ? "backpressure" : "ok";
    return this.write(Buffer.from(chunk.subarray(n))); // the kernel is full: a copy of the tail waits for `drain`
  }

  /** One write() of `chunk` with nothing queued: the bytes taken, -1 when the socket is closed
   * (dropped and reported). A refused tail means waiting for `drain`. */
  #sendNow(chunk: Uint8Array): number {
    const n = this.#socket.write(chunk, 0, chunk.length);
    if (n < 0) {
      this.#drop();
      this.#onClosed?.();
      return -1;
    }
    if (n < chunk.length) this.#waitingDrain = true;
    return n;
  }

  /** Sends as much as the kernel takes. Call it from `drain`; safe to call at any time. */
  flush(): void {
    this.#waitingDrain = false;
    const socket = this.#socket;
    while (this.#pending > 0 && !this.#closed) {
      const head = this.#gather(); // always the chunk at #first
      const off = this.#headOffset;
      const len = head.length - off;
      const n = socket.write(head, off, len);
      if (n < 0) {
        this.#drop();
        this.#onClosed?.();
        return;
      }
      this.#advance(n);
      if (n < len) {
        this.#waitingDrain = true;
        break;
      }
    }
    if (this.#above && this.#pending <= this.#low) {
      this.#above = false;
      this.onLow?.();
    }
    if (this.#ending && this.#pending === 0 && !this.#closed) {
      this.#closed = true;
      socket.end();
    }
  }

  /** Sends what is queued, then closes the write side. Later writes return "closed". */
  end(): void {
    if (this.#ending || this.#closed) return;
    this.#ending = true;
    if (!this.#waitingDrain) this.flush();
  }

  /** Forgets everything queued (the socket closed or is being destroyed); no callbacks. */
  destroy(): void {
    this.#drop();
  }

  // The head chunk, or, when it is small and more follow, the chunks that fit in maxWriteBytes
  // merged into one buffer that replaces them (so a partial write keeps its tail in place).
  #gather(): Uint8Array {
    const chunks = this.#chunks!; // pending > 0
    const first = this.#first;
    const head = chunks[first]!;
    let total = head.length - this.#headOffset;
    let end = first + 1;
    while (end < chunks.length && total + chunks[end]!.length <= this.#maxWrite) total += chunks[end++]!.length;
    if (end === first + 1) return head;
    const merged = Buffer.allocUnsafe(total);
    merged.set(this.#headOffset === 0 ? head : head.subarray(this.#headOffset), 0);
    let at = head.length - this.#headOffset;
    for (let i = first + 1; i < end; i++) {
      merged.set(chunks[i]!, at);
      at += chunks[i]!.length;
      chunks[i - 1] = EMPTY;
    }
    chunks[end - 1] = merged;
    this.#first = end - 1;
    this.#headOffset = 0;
    return merged;
  }

  #advance(n: number): void {
    this.#pending -= n;
    const chunks = this.#chunks!; // pending was > 0
    if (this.#pending === 0) {
      chunks.length = 0;
      this.#first = 0;
      this.#headOffset = 0;
      return;
    }
    while (n > 0) {
      const avail = chunks[this.#first]!.length - this.#headOffset;
      if (n < avail) {
        this.#headOffset += n;
        return;
      }
      n -= avail;
      chunks[this.#first++] = EMPTY;
      this.#headOffset = 0;
    }
    if (this.#first > 64 && this.#first * 2 > chunks.length) {
      chunks.splice(0, this.#first);
      this.#first = 0;
    }
  }

  #drop(): void {
    this.#closed = true;
    this.#chunks = null;
    this.#first = 0;
    this.#headOffset = 0;
    this.#pending = 0;
    this.#above = false;
  }
}
