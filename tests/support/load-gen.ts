// A reusable multi-client load generator for benches and stability runs: N Telegram-like clients
// (createTestClientCodec: plain/dd/ee, any framing) that handshake, echo messages through the proxy
// (the far end — fake ME or fake DC — must echo payloads) and report per-message round trips.
// Also holds many clients open and idle (RSS per idle client). Loopback only; every run is bounded.
import type { Socket } from "bun";
import { seededRandom, systemRandom } from "../../src/crypto/random.ts";
import { WriteQueue } from "../../src/io/write-queue.ts";
import type { ClientTransport } from "../../src/transport/codec.ts";
import { createTestClientCodec, type OutPacket, type SecretMode, type TestClientCodec } from "./test-client.ts";

/** Padding an echo may carry in padded framing: up to 15 bytes from the client, 3 from the proxy. */
const MAX_PADDED_EXTRA = 18;

export interface LoadOptions {
  host?: string;
  port: number;
  clients: number;
  /** The proxy's -S secret (16 bytes); null = no-secret plain mode. */
  secret: Uint8Array | null;
  mode?: SecretMode;
  /** plain only (dd/ee always use padded); default intermediate. */
  transport?: ClientTransport;
  dc?: number;
  /** SNI for ee. */
  domain?: string;
  /** Payload bytes per message: a multiple of 4, ≥ 56 (an encrypted MTProto packet). Default 128. */
  messageSize?: number;
  /** Echoes each client does after its handshake echo (default: unbounded, use durationMs). */
  messagesPerClient?: number;
  /** Length of the measured phase, from when every client has done its handshake echo. */
  durationMs?: number;
  /** Messages in flight per client (default 1: ping-pong). */
  window?: number;
  /** Paced mode: a client sends its next message this long after the previous send (0 = as fast as the window allows). */
  intervalMs?: number;
  /** Clients connecting/handshaking at once (default min(clients, 200)). */
  connectConcurrency?: number;
  /** Hard bound of the whole run, ms (default 60 000): clients still busy count as errors. */
  timeoutMs?: number;
  /**
   * Fixes every client's randomness (inits, padding, payloads). Default: fresh system randomness,
   * as real clients have: the proxy blackholes a replayed init, so two runs with one seed collide.
   */
  seed?: number;
  /** Called synchronously when the measured phase starts / ends (read the proxy's CPU here). */
  onMeasureStart?: () => void;
  onMeasureEnd?: () => void;
}

export interface LoadResult {
  /** Clients whose handshake echo came back. */
  connected: number;
  /** Clients that failed (connect refused, closed early, bad echo, timeout). */
  errors: number;
  /** Up to 10 distinct error texts. */
  errorSamples: string[];
  /** connect → handshake echo received, per connected client (ms). */
  handshakeMs: Float64Array;
  /** Wall time of the handshake phase (first connect → last handshake echo), ms. */
  handshakePhaseMs: number;
  /** Echoes completed in the measured phase (handshake echoes excluded). */
  messages: number;
  /** Payload bytes echoed back in the measured phase. */
  bytesEchoed: number;
  /** Round trip of every measured echo (send → full echo decoded), ms, in arrival order. */
  rttMs: Float64Array;
  /** When each of those echoes arrived (performance.now(), ms): its send was at echoAtMs − rttMs. */
  echoAtMs: Float64Array;
  /** Wall time of the measured phase, ms. */
  elapsedMs: number;
}

export interface IdleClients {
  readonly connected: number;
  readonly errors: number;
  readonly errorSamples: string[];
  readonly handshakeMs: Float64Array;
  /** Clients whose socket the proxy has closed since. */
  readonly closedByPeer: number;
  close(): Promise<void>;
}

/** p in [0,100] over unsorted samples (copies and sorts); NaN when empty. */
export function percentile(samples: Float64Array, p: number): number {
  if (samples.length === 0) return Number.NaN;
  const s = Float64Array.from(samples).sort();
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

/** Runs the load and closes every client. */
export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const run = new LoadRun(opts, false);
  return run.execute();
}

/** Connects `clients` clients, does one handshake echo each, and leaves them open and silent. */
export async function openIdleClients(opts: Omit<LoadOptions, "messagesPerClient" | "durationMs" | "window">): Promise<IdleClients> {
  const run = new LoadRun(opts, true);
  await run.handshakePhase();
  return {
    connected: run.connected,
    errors: run.errors,
    errorSamples: run.errorSamples,
    handshakeMs: run.handshakeSamples.view(),
    get closedByPeer() {
      return run.closedByPeer;
    },
    close: () => run.closeAll(),
  };
}

/** Grows by doubling; a view is taken at the end. */
class Samples {
  #buf = new Float64Array(1024);
  #n = 0;
  push(v: number): void {
    if (this.#n === this.#buf.length) {
      const next = new Float64Array(this.#buf.length * 2);
      next.set(this.#buf);
      this.#buf = next;
    }
    this.#buf[this.#n++] = v;
  }
  view(): Float64Array {
    return this.#buf.subarray(0, this.#n);
  }
}

type Phase = "handshake" | "measure" | "done";

class LoadRun {
  readonly o: Required<Omit<LoadOptions, "messagesPerClient" | "durationMs" | "domain" | "secret" | "seed" | "onMeasureStart" | "onMeasureEnd">> & LoadOptions;
  readonly idle: boolean;
  readonly clients: LoadClient[] = [];
  readonly handshakeSamples = new Samples();
  readonly rtt = new Samples();
  readonly echoAt = new Samples();
  connected = 0;
  errors = 0;
  closedByPeer = 0;
  readonly errorSamples: string[] = [];
  messages = 0;
  bytesEchoed = 0;
  phase: Phase = "handshake";
  #started = 0;
  #finishedHandshakes = 0;
  #active = 0;
  #next = 0;
  #hsDone: (() => void) | null = null;
  #measureDone: (() => void) | null = null;
  #clientsDone = 0;

  constructor(opts: LoadOptions, idle: boolean) {
    const size = opts.messageSize ?? 128;
    if (size % 4 !== 0 || size < 56) throw new Error(`messageSize ${size}: must be a multiple of 4 and ≥ 56`);
    this.o = {
      host: "127.0.0.1",
      mode: "plain",
      transport: "intermediate",
      dc: 2,
      messageSize: size,
      window: 1,
      intervalMs: 0,
      connectConcurrency: Math.min(opts.clients, 200),
      timeoutMs: 60_000,
      ...opts,
    };
    this.idle = idle;
  }

  fail(c: LoadClient, why: string): void {
    if (c.state === "failed" || c.state === "closed") return;
    const wasHandshaking = c.state === "connecting";
    c.state = "failed";
    this.errors++;
    if (this.errorSamples.length < 10 && !this.errorSamples.includes(why)) this.errorSamples.push(why);
    c.terminate();
    if (wasHandshaking) this.#handshakeFinished();
    else if (this.phase === "measure") this.#clientDone();
  }

  onHandshake(ms: number): void {
    this.connected++;
    this.handshakeSamples.push(ms);
    this.#handshakeFinished();
  }

  onEcho(c: LoadClient, sentAt: number, now: number, bytes: number): void {
    if (this.phase !== "measure") return;
    this.messages++;
    this.bytesEchoed += bytes;
    this.rtt.push(now - sentAt);
    this.echoAt.push(now);
    const limit = this.o.messagesPerClient;
    if (limit !== undefined && c.echoed >= limit && c.inFlight === 0) this.#clientDone();
  }

  #clientDone(): void {
    this.#clientsDone++;
    if (this.#clientsDone >= this.connected) this.#measureDone?.();
  }

  #handshakeFinished(): void {
    this.#finishedHandshakes++;
    this.#active--;
    this.#launch();
    if (this.#finishedHandshakes === this.o.clients) this.#hsDone?.();
  }

  #launch(): void {
    while (this.#active < this.o.connectConcurrency && this.#next < this.o.clients) {
      this.#active++;
      const c = new LoadClient(this, this.#next++);
      this.clients.push(c);
      c.start();
    }
  }

  async handshakePhase(): Promise<number> {
    this.#started = performance.now();
    const done = new Promise<void>((r) => (this.#hsDone = r));
    this.#launch();
    if (this.o.clients === 0) return 0;
    const timedOut = await Promise.race([done.then(() => false), Bun.sleep(this.o.timeoutMs).then(() => true)]);
    if (timedOut) for (const c of this.clients) if (c.state === "connecting") this.fail(c, "handshake timeout");
    return performance.now() - this.#started;
  }

  async execute(): Promise<LoadResult> {
    const hsMs = await this.handshakePhase();
    let elapsed = 0;
    try {
      const o = this.o;
      if (this.connected > 0 && (o.messagesPerClient ?? 1) > 0 && (o.messagesPerClient !== undefined || o.durationMs !== undefined)) {
        const done = new Promise<void>((r) => (this.#measureDone = r));
        this.phase = "measure";
        o.onMeasureStart?.();
        const t0 = performance.now();
        // paced clients start at random phases so the sends spread over the interval
        for (const c of this.clients) if (c.state === "open") o.intervalMs > 0 ? c.schedule(Math.random() * o.intervalMs) : c.pump();
        const limit = Math.max(0, o.timeoutMs - hsMs);
        const bound = o.durationMs !== undefined ? Math.min(o.durationMs, limit) : limit;
        const timedOut = await Promise.race([done.then(() => false), Bun.sleep(bound).then(() => true)]);
        elapsed = performance.now() - t0;
        o.onMeasureEnd?.();
        this.phase = "done";
        if (timedOut && o.durationMs === undefined) for (const c of this.clients) if (c.state === "open" && c.inFlight > 0) this.fail(c, "echo timeout");
      }
    } finally {
      this.phase = "done";
      await this.closeAll();
    }
    return {
      connected: this.connected,
      errors: this.errors,
      errorSamples: this.errorSamples,
      handshakeMs: this.handshakeSamples.view(),
      handshakePhaseMs: hsMs,
      messages: this.messages,
      bytesEchoed: this.bytesEchoed,
      rttMs: this.rtt.view(),
      echoAtMs: this.echoAt.view(),
      elapsedMs: elapsed,
    };
  }

  async closeAll(): Promise<void> {
    this.phase = "done";
    for (const c of this.clients) c.close();
    // let the FINs go out so the proxy sees the closes before the caller measures again
    await Bun.sleep(Math.min(500, 50 + this.clients.length / 20));
  }
}

type ClientState = "connecting" | "open" | "failed" | "closed";

class LoadClient {
  state: ClientState = "connecting";
  echoed = 0;
  inFlight = 0;
  readonly #run: LoadRun;
  readonly #codec: TestClientCodec;
  readonly #packet: OutPacket[];
  readonly #head: number;
  #socket: Socket<undefined> | null = null;
  #queue: WriteQueue | null = null;
  /** Send times of in-flight messages, FIFO (echoes come back in order on one connection). */
  #sentAt: number[] = [];
  #sentHead = 0;
  #connectAt = 0;
  #openingSent = false;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #nextSendAt = 0;

  constructor(run: LoadRun, index: number) {
    this.#run = run;
    const o = run.o;
    const rnd = o.seed === undefined ? systemRandom : seededRandom(o.seed * 100_003 + index);
    this.#codec = createTestClientCodec({
      secret: o.secret,
      mode: o.mode,
      transport: o.transport,
      dc: o.dc,
      random: rnd,
      ...(o.domain ? { domain: o.domain } : {}),
    });
    const payload = Buffer.from(rnd.bytes(o.messageSize));
    payload[0] |= 1; // a non-zero auth_key_id: an encrypted packet the proxy forwards as is
    this.#head = payload.readUInt32LE(0);
    this.#packet = [{ payload }];
  }

  start(): void {
    const run = this.#run;
    this.#connectAt = performance.now();
    Bun.connect<undefined>({
      hostname: run.o.host,
      port: run.o.port,
      socket: {
        binaryType: "uint8array",
        open: (s) => {
          this.#socket = s;
          this.#queue = new WriteQueue(s, { flushMode: "immediate", onLow: () => this.pump() });
          const opening = this.#codec.opening();
          if (run.o.mode === "ee") this.#queue.write(opening);
          else {
            this.#openingSent = true;
            this.#send(1, opening);
          }
        },
        data: (_s, chunk) => this.#onData(chunk),
        drain: () => this.#queue?.flush(),
        close: () => this.#onClose(),
        error: (_s, err) => run.fail(this, `socket error: ${err.message}`),
        connectError: (_s, err) => run.fail(this, `connect: ${err.message}`),
      },
    }).catch((err: unknown) => run.fail(this, `connect: ${err instanceof Error ? err.message : String(err)}`));
  }

  /** Sends `n` messages in one write (after `prefix`, the plain/dd opening). */
  #send(n: number, prefix?: Uint8Array): void {
    const packets = n === 1 ? this.#packet : Array.from({ length: n }, () => this.#packet[0]!);
    const body = this.#codec.send(packets);
    const now = performance.now();
    for (let i = 0; i < n; i++) this.#sentAt.push(now);
    this.inFlight += n;
    this.#queue!.write(prefix ? Buffer.concat([prefix, body]) : body);
  }

  /** Paced mode: the next send in `ms`. */
  schedule(ms: number): void {
    if (this.#timer !== null) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.pump();
    }, ms);
  }

  /** Tops the window up (measured phase only); paced clients send one message per interval. */
  pump(): void {
    const run = this.#run;
    if (this.state !== "open" || run.phase !== "measure" || this.#queue === null || this.#queue.isAboveHighWater) return;
    const limit = run.o.messagesPerClient;
    let n = run.o.window - this.inFlight;
    if (limit !== undefined) n = Math.min(n, limit - this.echoed - this.inFlight);
    if (n <= 0) return;
    const interval = run.o.intervalMs;
    if (interval > 0) {
      const now = performance.now();
      if (now < this.#nextSendAt) return this.schedule(this.#nextSendAt - now);
      this.#nextSendAt = Math.max(now, this.#nextSendAt) + interval;
      n = 1;
    }
    this.#send(n);
  }

  #onData(chunk: Uint8Array): void {
    const run = this.#run;
    if (this.state === "failed" || this.state === "closed") return;
    const r = this.#codec.receive(chunk);
    if (r.error) return run.fail(this, `decode: ${r.error}`);
    if (!this.#openingSent && this.#codec.serverHelloOk) {
      this.#openingSent = true;
      this.#send(1);
    }
    const now = performance.now();
    for (const e of r.events) {
      if (e.kind !== "packet") continue;
      // padded framing (dd, ee): the proxy forwards the client's random padding words too (len & ~3,
      // as C does) and the echo comes back with the proxy's own 0..3 padding bytes on top
      const extra = e.payload.length - run.o.messageSize;
      const maxExtra = run.o.mode !== "plain" || run.o.transport === "padded" ? MAX_PADDED_EXTRA : 0;
      if (extra < 0 || extra > maxExtra || new DataView(e.payload.buffer, e.payload.byteOffset).getUint32(0, true) !== this.#head) {
        return run.fail(this, `bad echo (${e.payload.length} bytes)`);
      }
      const sent = this.#sentAt[this.#sentHead++];
      if (sent === undefined) return run.fail(this, "unsolicited packet");
      if (this.#sentHead > 1024) {
        this.#sentAt = this.#sentAt.slice(this.#sentHead);
        this.#sentHead = 0;
      }
      this.inFlight--;
      if (this.state === "connecting") {
        this.state = "open";
        run.onHandshake(now - this.#connectAt);
        continue;
      }
      this.echoed++;
      run.onEcho(this, sent, now, e.payload.length);
    }
    this.pump();
  }

  #onClose(): void {
    if (this.state === "closed" || this.state === "failed") return;
    if (this.state === "open" && this.#run.phase === "done") {
      this.state = "closed";
      return;
    }
    if (this.state === "open" && this.#run.idle) {
      this.#run.closedByPeer++;
      this.state = "closed";
      return;
    }
    this.#run.fail(this, "closed by the proxy");
  }

  close(): void {
    if (this.state === "open" || this.state === "connecting") this.state = "closed";
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#queue?.destroy();
    this.#socket?.end();
  }

  terminate(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#queue?.destroy();
    this.#socket?.terminate();
  }
}
