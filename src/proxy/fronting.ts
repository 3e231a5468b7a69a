// Domain fronting: a client that failed the handshake is spliced, byte for byte, to the real site
// (buffered bytes first), both ways with backpressure; either side closing closes the other.
// Mirrors net-tcp-rpc-ext-server.c: proxy_connection and the ct_proxy_pass type (client-side.md §4.9).
// Beyond C: a fronted connection is closed after FRONTING_IDLE_MS without traffic or FRONTING_LIFETIME_MS
// in all, so probers cannot pin sockets forever (C keeps them until a side closes).
import { WriteQueue, type WriteResult } from "../io/write-queue.ts";
import type { ClientSocket, OutboundConnector } from "./client-socket.ts";
import type { SessionCounters } from "./counters.ts";

export const FRONTING_IDLE_MS = 5 * 60_000;
export const FRONTING_LIFETIME_MS = 60 * 60_000;

export interface FrontingLimits {
  idleMs: number;
  lifetimeMs: number;
  /** Per direction: pause the sending side above this, resume at lowWater. */
  highWater: number;
  lowWater: number;
  maxPendingBytes: number;
}

export const FRONTING_DEFAULTS: FrontingLimits = {
  idleMs: FRONTING_IDLE_MS,
  lifetimeMs: FRONTING_LIFETIME_MS,
  highWater: 256 << 10,
  lowWater: 64 << 10,
  maxPendingBytes: 4 << 20,
};

/** The client side of the splice (the session). */
export interface FrontingHost {
  /** Queues bytes for the client; "backpressure" pauses the origin until clientDrained(). */
  writeClient(bytes: Uint8Array): WriteResult;
  pauseClient(): void;
  resumeClient(): void;
  /** The origin side ended: close the client after what is queued for it. */
  originGone(): void;
}

export class FrontingRelay {
  readonly #host: FrontingHost;
  readonly #counters: SessionCounters;
  readonly #limits: FrontingLimits;
  #origin: ClientSocket | null = null;
  #queue: WriteQueue | null = null;
  /** Client bytes that arrived before the origin connection was up. */
  #early: Uint8Array[] = [];
  #earlyBytes = 0;
  #closed = false;
  #lastActivityMs: number;
  readonly #startedMs: number;
  readonly #timer: ReturnType<typeof setInterval>;

  constructor(
    target: { host: string; port: number },
    buffered: Uint8Array,
    host: FrontingHost,
    connect: OutboundConnector,
    counters: SessionCounters,
    limits: FrontingLimits = FRONTING_DEFAULTS,
  ) {
    this.#host = host;
    this.#counters = counters;
    this.#limits = limits;
    this.#startedMs = this.#lastActivityMs = Date.now();
    counters.frontingActive++;
    if (buffered.length > 0) this.#pushEarly(buffered);
    this.#timer = setInterval(() => this.#check(), Math.max(10, Math.min(limits.idleMs, 30_000) / 2));
    connect(target, {
      open: (s) => this.#onOpen(s),
      data: (chunk) => this.#fromOrigin(chunk),
      drain: () => this.#queue?.flush(),
      close: () => this.#onOriginClosed(),
    });
  }

  /** Raw bytes from the client. */
  fromClient(chunk: Uint8Array): void {
    if (this.#closed) return;
    this.#lastActivityMs = Date.now();
    if (this.#queue === null) {
      this.#pushEarly(chunk);
      return;
    }
    this.#counters.bytesToOrigins += chunk.length;
    const r = this.#queue.write(chunk);
    if (r === "overflow") this.#onOriginClosed();
  }

  /** The client's write queue fell to its low-water mark. */
  clientDrained(): void {
    this.#origin?.resume();
  }

  /** The client went away (or the session is shutting down): drop the origin side. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    this.#counters.frontingActive--;
    this.#early = [];
    const q = this.#queue;
    if (q) {
      q.destroy();
      this.#origin?.terminate();
    }
    // not yet connected: #onOpen sees #closed and terminates the socket
  }

  #pushEarly(chunk: Uint8Array): void {
    this.#early.push(chunk);
    this.#earlyBytes += chunk.length;
    if (this.#earlyBytes > this.#limits.maxPendingBytes) this.#onOriginClosed();
    else if (this.#earlyBytes > this.#limits.highWater) this.#host.pauseClient();
  }

  #onOpen(s: ClientSocket): void {
    if (this.#closed) {
      s.terminate();
      return;
    }
    this.#origin = s;
    const q = new WriteQueue(s, {
      flushMode: "immediate",
      highWaterMark: this.#limits.highWater,
      lowWaterMark: this.#limits.lowWater,
      maxPendingBytes: this.#limits.maxPendingBytes,
      onHigh: () => this.#host.pauseClient(),
      onLow: () => this.#host.resumeClient(),
    });
    this.#queue = q;
    const early = this.#early;
    this.#early = [];
    const wasOver = this.#earlyBytes > this.#limits.highWater;
    this.#earlyBytes = 0;
    for (const c of early) {
      this.#counters.bytesToOrigins += c.length;
      q.write(c);
    }
    if (wasOver && !q.isAboveHighWater) this.#host.resumeClient();
  }

  #fromOrigin(chunk: Uint8Array): void {
    if (this.#closed) return;
    this.#lastActivityMs = Date.now();
    this.#counters.bytesFromOrigins += chunk.length;
    const r = this.#host.writeClient(chunk);
    if (r === "backpressure") this.#origin?.pause();
    else if (r === "overflow") this.#onOriginClosed();
  }

  #onOriginClosed(): void {
    if (this.#closed) return;
    this.close();
    this.#host.originGone();
  }

  #check(): void {
    const now = Date.now();
    if (now - this.#lastActivityMs > this.#limits.idleMs || now - this.#startedMs > this.#limits.lifetimeMs) this.#onOriginClosed();
  }
}
