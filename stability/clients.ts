// Many loopback clients in one process for the stability scenarios, built on the test client's
// codec (tests/support/test-client.ts) with a lean socket loop: answers matched FIFO (the fake ME
// echoes in order per connection), latency per request, pause() for clients that never read.
import type { Socket } from "bun";
import { systemRandom } from "../src/crypto/random.ts";
import type { ClientTransport } from "../src/transport/codec.ts";
import { createTestClientCodec, type SecretMode, type TestClientCodec } from "../tests/support/test-client.ts";
import { makeRequest } from "./wire.ts";

export interface ClientTarget {
  readonly host: string;
  readonly port: number;
  readonly secret: Uint8Array;
  readonly mode?: SecretMode;
  readonly transport?: ClientTransport;
  readonly domain?: string;
  readonly dc?: number;
}

interface Waiter {
  readonly sentAt: number;
  readonly expect: Uint8Array | null;
  resolve(latencyMs: number): void;
  reject(err: Error): void;
}

export class LoadClient {
  readonly id: number;
  readonly codec: TestClientCodec;
  readonly closed: Promise<void>;
  isClosed = false;
  closedAt = 0;
  /** Answers whose bytes were not what this client sent (a foreign or corrupted answer). */
  mismatches = 0;
  answers = 0;
  bytesIn = 0;
  decodeError: string | null = null;
  #socket: Socket<undefined> | null = null;
  #pending: Buffer[] = [];
  #waiters: Waiter[] = [];
  #seq = 0;
  #resolveClosed!: () => void;

  constructor(id: number, codec: TestClientCodec) {
    this.id = id;
    this.codec = codec;
    this.closed = new Promise((r) => (this.#resolveClosed = r));
  }

  attach(s: Socket<undefined>): void {
    this.#socket = s;
  }

  /** ee: resolves once the fake ServerHello arrived (a client may not send before it: C fronts trailing bytes). */
  helloSeen: (() => void) | null = null;

  onData(chunk: Uint8Array): void {
    this.bytesIn += chunk.length;
    const r = this.codec.receive(chunk);
    if (r.error && !this.decodeError) this.decodeError = r.error;
    if (this.helloSeen && this.codec.serverHelloOk) {
      this.helloSeen();
      this.helloSeen = null;
    }
    const now = performance.now();
    for (const e of r.events) {
      if (e.kind !== "packet") continue;
      this.answers++;
      const w = this.#waiters.shift();
      if (!w) {
        this.mismatches++;
        continue;
      }
      if (w.expect !== null && !Buffer.from(e.payload).equals(w.expect)) this.mismatches++;
      w.resolve(now - w.sentAt);
    }
  }

  onClose(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.closedAt = performance.now();
    for (const w of this.#waiters.splice(0)) w.reject(new Error(`client ${this.id}: connection closed`));
    this.#resolveClosed();
  }

  flush(): void {
    const s = this.#socket;
    if (!s) return;
    while (this.#pending.length > 0) {
      const head = this.#pending[0]!;
      const n = s.write(head);
      if (n >= head.length) this.#pending.shift();
      else {
        this.#pending[0] = head.subarray(Math.max(n, 0));
        return;
      }
    }
  }

  sendRaw(bytes: Uint8Array): void {
    if (this.isClosed) return;
    this.#pending.push(Buffer.from(bytes));
    this.flush();
  }

  /** One echo request; resolves with its round-trip time in ms. */
  echo(timeoutMs = 10_000): Promise<number> {
    return this.request(makeRequest(this.id, this.#seq++), true, timeoutMs);
  }

  /** Sends `payload`; `checkEcho` requires the answer to be the same bytes. */
  request(payload: Uint8Array, checkEcho: boolean, timeoutMs = 10_000): Promise<number> {
    if (this.isClosed) return Promise.reject(new Error(`client ${this.id}: closed`));
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`client ${this.id}: no answer within ${timeoutMs} ms`)), timeoutMs);
      this.#waiters.push({
        sentAt: performance.now(),
        expect: checkEcho ? Buffer.from(payload) : null,
        resolve: (ms) => {
          clearTimeout(t);
          resolve(ms);
        },
        reject: (err) => {
          clearTimeout(t);
          reject(err);
        },
      });
      this.sendRaw(this.codec.send([{ payload }]));
    });
  }

  /** Fire-and-forget packets (no answer expected back to a waiter). */
  sendPackets(payloads: Uint8Array[]): void {
    this.sendRaw(this.codec.send(payloads.map((payload) => ({ payload }))));
  }

  nextSeq(): number {
    return this.#seq++;
  }

  /** Stop reading: the kernel buffers fill and the proxy has to hold (or drop) the answers. */
  pause(): void {
    this.#socket?.pause();
  }

  /** Graceful close (FIN). */
  end(): void {
    this.#pending = [];
    this.#socket?.end();
  }

  /** Immediate close. */
  terminate(): void {
    this.#pending = [];
    this.#socket?.terminate();
  }
}

let nextId = 1;

/** Connects and sends the opening (init or ClientHello). Rejects on connect failure. */
export async function openClient(t: ClientTarget, opts: { sendOpening?: boolean } = {}): Promise<LoadClient> {
  const codec = createTestClientCodec({
    secret: t.secret,
    mode: t.mode ?? "plain",
    transport: t.transport ?? "intermediate",
    domain: t.domain,
    dc: t.dc ?? 2,
    random: systemRandom,
  });
  const c = new LoadClient(nextId++, codec);
  const s = await Bun.connect<undefined>({
    hostname: t.host,
    port: t.port,
    socket: {
      binaryType: "uint8array",
      data: (_s, chunk) => c.onData(chunk),
      drain: () => c.flush(),
      close: () => c.onClose(),
      error: () => c.onClose(),
      end: (s2) => {
        s2.end();
        c.onClose();
      },
    },
  });
  c.attach(s);
  if (opts.sendOpening ?? true) {
    const hello = t.mode === "ee" ? new Promise<void>((r) => (c.helloSeen = r)) : null;
    c.sendRaw(codec.opening());
    if (hello) {
      const ok = await Promise.race([hello.then(() => true), c.closed.then(() => false), Bun.sleep(5000).then(() => false)]);
      if (!ok) {
        c.terminate();
        throw new Error(`client ${c.id}: no ServerHello`);
      }
    }
  }
  return c;
}

/** Opens `n` clients, at most `parallel` connects in flight; failures are counted, not thrown. */
export async function openMany(
  t: ClientTarget,
  n: number,
  parallel: number,
  each?: (c: LoadClient) => Promise<void>,
): Promise<{ clients: LoadClient[]; errors: string[] }> {
  const clients: LoadClient[] = [];
  const errors: string[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < n) {
      next++;
      try {
        const c = await openClient(t);
        clients.push(c);
        if (each) await each(c);
      } catch (error) {
        errors.push(error instanceof Error ? error.message : String(error));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, n) }, worker));
  return { clients, errors };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
