// Direct-to-DC relay (beyond C, mtg-style; proxy/direct-contract.ts): one fresh obfuscated2
// connection per client. Client plaintext → DC CTR → the DC's WriteQueue; DC bytes → DC CTR →
// ClientPipe. Backpressure both ways; either side closing closes the other. No idle timeout (C has none).
import type { ProxyOptions } from "../cli/proxy-options.ts";
import type { CtrStream } from "../crypto/aes.ts";
import { systemRandom, type RandomSource } from "../crypto/random.ts";
import { WriteQueue, type WriteQueueOptions } from "../io/write-queue.ts";
import type { Logger } from "../log.ts";
import type { ClientPipe, DirectLink, DirectUpstream } from "../proxy/direct-contract.ts";
import type { ClientInfo } from "../proxy/middle-contract.ts";
import { dialDc, type DcConnect, type DcConnected } from "./dc-connector.ts";
import { resolveDc } from "./dc-table.ts";

/** Plain counters; keys of the per-DC records are the client's signed DC index. */
export interface DirectCounters {
  dcConnectsOk: Record<number, number>;
  dcConnectsFailed: Record<number, number>;
  /** Clients whose DC index was unknown and went to DC 2, by their index. */
  fallbacksToDefault: Record<number, number>;
  bytesClientToDc: number;
  bytesDcToClient: number;
  activeLinks: number;
  /** Clients closed because the DC side's queue hit its hard cap. */
  overflowCloses: number;
}

export interface DirectUpstreamDeps {
  readonly options: Pick<ProxyOptions, "directDcs" | "ipv6">;
  readonly log?: Logger;
  readonly random?: RandomSource;
  readonly connect?: DcConnect;
  readonly attemptTimeoutMs?: number;
  readonly totalTimeoutMs?: number;
  /** Client bytes held while the DC connection opens: above the high mark the client is paused, above the cap closed. */
  readonly connectingHighWaterBytes?: number;
  readonly connectingMaxBytes?: number;
  readonly writeQueue?: Pick<WriteQueueOptions, "highWaterMark" | "lowWaterMark" | "maxPendingBytes" | "flushMode">;
}

export type OpenLink = DirectLink & { onClientDrain(): void };

export interface CountedDirectUpstream extends DirectUpstream {
  readonly counters: DirectCounters;
}

const CONNECTING_HIGH_WATER = 256 << 10;
const CONNECTING_MAX = 4 << 20;

export function createDirectUpstream(deps: DirectUpstreamDeps): CountedDirectUpstream {
  const counters: DirectCounters = {
    dcConnectsOk: {},
    dcConnectsFailed: {},
    fallbacksToDefault: {},
    bytesClientToDc: 0,
    bytesDcToClient: 0,
    activeLinks: 0,
    overflowCloses: 0,
  };
  const resolveOpts = { overrides: deps.options.directDcs, preferIpv6: deps.options.ipv6 };
  const log = deps.log?.withTag("direct");
  return {
    counters,
    open(client, pipe, onDcDrain) {
      const r = resolveDc(client.dc, resolveOpts);
      if (r.fallback) bump(counters.fallbacksToDefault, client.dc);
      return new Link(client, pipe, onDcDrain, counters, deps, r.candidates, log);
    },
  };
}

function bump(rec: Record<number, number>, key: number): void {
  rec[key] = (rec[key] ?? 0) + 1;
}

// One class per link keeps the per-chunk path free of closures.
class Link implements OpenLink {
  #state: "connecting" | "open" | "closed" = "connecting";
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;
  #clientPaused = false;
  #dcPaused = false;
  #queue: WriteQueue | null = null;
  #conn: DcConnected | null = null;
  #encrypt: CtrStream | null = null;
  #decrypt: CtrStream | null = null;
  readonly #dial: { cancel(): void };
  readonly #high: number;
  readonly #cap: number;

  constructor(
    readonly client: ClientInfo,
    readonly pipe: ClientPipe,
    readonly onDcDrain: () => void,
    readonly counters: DirectCounters,
    readonly deps: DirectUpstreamDeps,
    candidates: readonly { host: string; port: number }[],
    readonly log: Logger | undefined,
  ) {
    this.#high = deps.connectingHighWaterBytes ?? CONNECTING_HIGH_WATER;
    this.#cap = deps.connectingMaxBytes ?? CONNECTING_MAX;
    counters.activeLinks++;
    this.#dial = dialDc(
      {
        candidates,
        transport: client.transport,
        dc: client.dc,
        random: deps.random ?? systemRandom,
        connect: deps.connect,
        attemptTimeoutMs: deps.attemptTimeoutMs,
        totalTimeoutMs: deps.totalTimeoutMs,
      },
      {
        ready: (c) => this.#ready(c),
        data: (chunk) => this.#fromDc(chunk),
        drain: () => this.#queue?.flush(),
        close: (reason) => this.#closeFromDc(reason),
        failed: (reason) => this.#failed(reason),
      },
    );
  }

  send(plain: Uint8Array): boolean {
    if (this.#state === "open") {
      const n = plain.length;
      this.counters.bytesClientToDc += n;
      this.#encrypt!.updateInPlace(plain); // DirectLink.send hands the bytes over
      const res = this.#queue!.write(plain);
      if (res === "ok") return true;
      if (res === "backpressure") {
        this.#clientPaused = true;
        return false;
      }
      if (res === "overflow") {
        this.counters.overflowCloses++;
        this.#shutdown("DC write queue overflow");
      }
      return false;
    }
    if (this.#state === "closed") return false;
    this.#pendingBytes += plain.length;
    if (this.#pendingBytes > this.#cap) {
      this.counters.overflowCloses++;
      this.#shutdown(`more than ${this.#cap} bytes before the DC connection opened`);
      return false;
    }
    this.#pending.push(plain);
    if (this.#pendingBytes > this.#high) this.#clientPaused = true;
    return !this.#clientPaused;
  }

  onClientDrain(): void {
    if (this.#dcPaused && this.#state === "open") {
      this.#dcPaused = false;
      this.#conn!.socket.resume();
    }
  }

  /** The client went away: send what is queued to the DC, then close it. */
  close(): void {
    if (this.#state === "closed") return;
    const wasOpen = this.#state === "open";
    this.#finish();
    if (wasOpen) this.#queue!.end();
    else this.#dial.cancel();
  }

  #ready(c: DcConnected): void {
    if (this.#state !== "connecting") {
      c.socket.terminate();
      return;
    }
    this.#state = "open";
    this.#conn = c;
    this.#encrypt = c.encrypt;
    this.#decrypt = c.decrypt;
    bump(this.counters.dcConnectsOk, this.client.dc);
    const q = new WriteQueue(c.socket, {
      // One client event is one already-whole chunk: straight to the kernel, no microtask.
      flushMode: "immediate",
      ...this.deps.writeQueue,
      onLow: () => this.#dcDrained(),
      onClosed: () => this.#closeFromDc("DC socket closed"),
    });
    this.#queue = q;
    q.write(c.init);
    if (this.#pendingBytes > 0) {
      const plain = this.#pending.length === 1 ? this.#pending[0]! : Buffer.concat(this.#pending, this.#pendingBytes);
      this.counters.bytesClientToDc += this.#pendingBytes;
      this.#pending = [];
      this.#pendingBytes = 0;
      c.encrypt.updateInPlace(plain);
      const res = q.write(plain);
      if (res === "overflow") {
        this.counters.overflowCloses++;
        this.#shutdown("DC write queue overflow");
        return;
      }
      if (res === "backpressure") return; // onLow resumes the client
    }
    this.#dcDrained();
  }

  #dcDrained(): void {
    if (!this.#clientPaused || this.#state !== "open") return;
    this.#clientPaused = false;
    this.onDcDrain();
  }

  #fromDc(chunk: Uint8Array): void {
    if (this.#state !== "open") return;
    this.counters.bytesDcToClient += chunk.length;
    this.#decrypt!.updateInPlace(chunk); // Bun gives `data` a fresh buffer: ours to overwrite
    if (!this.pipe.write(chunk) && !this.#dcPaused && this.#state === "open") {
      this.#dcPaused = true;
      this.#conn!.socket.pause();
    }
  }

  #closeFromDc(reason: string): void {
    if (this.#state === "closed") return;
    this.#finish();
    this.#queue?.destroy();
    this.pipe.close(reason);
  }

  #failed(reason: string): void {
    if (this.#state !== "connecting") return;
    bump(this.counters.dcConnectsFailed, this.client.dc);
    this.log?.debug(`DC ${this.client.dc} unreachable for ${this.client.remoteAddress}:${this.client.remotePort}: ${reason}`);
    this.#finish();
    this.pipe.close(`DC ${this.client.dc} unreachable: ${reason}`);
  }

  /** Our own decision to end the link: drop both sides. */
  #shutdown(reason: string): void {
    const conn = this.#conn;
    const wasConnecting = this.#state === "connecting";
    this.#finish();
    if (wasConnecting) this.#dial.cancel();
    this.#queue?.destroy();
    conn?.socket.terminate();
    this.pipe.close(reason);
  }

  #finish(): void {
    this.#state = "closed";
    this.#pending = [];
    this.#pendingBytes = 0;
    this.counters.activeLinks--;
    // the cipher contexts live in libcrypto: released now, not whenever the collector runs
    this.#encrypt?.free();
    this.#decrypt?.free();
    this.#encrypt = this.#decrypt = null;
  }
}
