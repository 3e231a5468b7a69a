// One client connection: handshake (with the 10 s alarm) → middle-end packets, direct relay,
// blackhole or domain fronting, and one idempotent close that releases everything exactly once.
// Mirrors net-tcp-rpc-ext-server.c: tcp_rpcs_ext_init_accepted / tcp_rpcs_ext_alarm / proxy_connection
// and mtproto-proxy.c: ext_rpcs_execute / forward_tcp_query (client-side.md §0, §3.5–3.8, §4.9, §6).
import type { RandomSource } from "../crypto/random.ts";
import { WriteQueue, type WriteResult } from "../io/write-queue.ts";
import type { Logger } from "../log.ts";
import type { DecodeResult, PacketSink } from "../transport/codec.ts";
import { createClientHandshake, type ClientHandshake, type HandshakeConfig } from "../transport/client-handshake.ts";
import type { ClientStack } from "../transport/client-stack.ts";
import { INIT_REPLAY_KEY_OFFSET, REPLAY_KEY_LEN, type ReplayCache } from "../transport/replay-cache.ts";
import { OBFS2_INIT_LEN } from "../transport/obfuscated2.ts";
import type { ClientSocket, OutboundConnector } from "./client-socket.ts";
import { countFront, type CloseReason, type SessionCounters } from "./counters.ts";
import type { DirectUpstream } from "./direct-contract.ts";
import { classifyClientPacket } from "./forward-filter.ts";
import { FRONTING_DEFAULTS, FrontingRelay, type FrontingLimits } from "./fronting.ts";
import type { ClientInfo, ClientSink, MiddleEnd, MiddleRoute } from "./middle-contract.ts";
import type { BudgetMember, OutputBudget } from "./output-budget.ts";
import { processOutputTurn, type OutputTurn, type TurnOwner } from "./output-turn.ts";
import { DirectRelay } from "./session-direct.ts";

/** C: job_timer_insert(c, precise_now + 10) in tcp_rpcs_ext_init_accepted. */
export const HANDSHAKE_ALARM_MS = 10_000;
/**
 * Beyond C: without -D the alarm does nothing in C, so a half-open probe (or a blackholed one) holds
 * its socket until the peer goes away. We close such a connection silently after this long.
 */
export const HANDSHAKE_GIVE_UP_MS = 60_000;
/** A graceful close (flush, then FIN) that the peer does not let finish is cut off after this long. */
export const CLOSE_GRACE_MS = 5_000;

export interface SessionLimits {
  alarmMs: number;
  giveUpMs: number;
  closeGraceMs: number;
  writeHighWater: number;
  writeLowWater: number;
  /** Hard cap of the client write queue (C: 32 MiB per connection, check_conn_buffers). */
  writeMaxPending: number;
  fronting: FrontingLimits;
}

export const SESSION_DEFAULTS: SessionLimits = {
  alarmMs: HANDSHAKE_ALARM_MS,
  giveUpMs: HANDSHAKE_GIVE_UP_MS,
  closeGraceMs: CLOSE_GRACE_MS,
  writeHighWater: 1 << 20,
  writeLowWater: 256 << 10,
  writeMaxPending: 1 << 25,
  fronting: FRONTING_DEFAULTS,
};

/** Everything sessions of one process share. */
export interface SessionEnv {
  readonly handshake: HandshakeConfig;
  readonly replay: ReplayCache;
  /** Beyond C: recent obfuscated2 inits of plain/dd clients; a replayed one is blackholed. */
  readonly initReplay?: ReplayCache;
  readonly random: RandomSource;
  readonly nowSec: () => number;
  readonly keyShare: () => Uint8Array;
  readonly middle: MiddleEnd | null;
  readonly direct: DirectUpstream | null;
  readonly counters: SessionCounters;
  readonly log: Logger;
  /** Where to front `domain` for a client of local port `localPort`; null = no address (close). */
  readonly frontingTarget: (domain: string, localPort: number) => { host: string; port: number } | null;
  readonly connect: OutboundConnector;
  readonly limits: SessionLimits;
  /** Called once, when the client socket is gone. */
  readonly onGone: (s: ClientSession) => void;
  /** Where sessions' output waits for the end of the event (output-turn.ts); the process's by default. */
  readonly outputTurn?: OutputTurn;
  /** The process-wide cap on bytes held for clients (output-budget.ts); none in unit tests. */
  readonly budget?: OutputBudget;
}

type State = "handshake" | "blackhole" | "established" | "direct" | "fronting" | "closed";

const EMPTY = new Uint8Array(0);

export class ClientSession implements ClientSink, PacketSink, BudgetMember, TurnOwner {
  // OutputTurn bookkeeping (numbers only: nothing per answer is stored in the session)
  turnEpoch = 0;
  turnFirst = 0;
  turnLast = 0;
  readonly #socket: ClientSocket;
  readonly #env: SessionEnv;
  readonly #queue: WriteQueue;
  #state: State = "handshake";
  #hs: ClientHandshake | null;
  #stack: ClientStack | null = null;
  #info: ClientInfo | null = null;
  #route: MiddleRoute | null = null;
  /** C's RPC_F_DROPPED: a packet found no middle end; the next one that does closes the client. */
  #dropped = false;
  #paused = false;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #graceTimer: ReturnType<typeof setTimeout> | null = null;
  /** Framed answer bytes waiting in the output turn. */
  #unflushedBytes = 0;
  #relay: FrontingRelay | null = null;
  #direct: DirectRelay | null = null;
  #gone = false;
  /** Bytes last reported to the output budget. */
  #held = 0;
  /** The first bytes of a non-TLS client (its obfuscated2 init), kept for the init replay check. */
  #head: Buffer | null = null;

  constructor(socket: ClientSocket, env: SessionEnv) {
    this.#socket = socket;
    this.#env = env;
    const l = env.limits;
    this.#queue = new WriteQueue(socket, {
      flushMode: "immediate", // the session already coalesces one event's output into one chunk
      highWaterMark: l.writeHighWater,
      lowWaterMark: l.writeLowWater,
      maxPendingBytes: l.writeMaxPending, // onLow: set when a relay starts (#front, #startDirect)
    });
    this.#hs = createClientHandshake(env.handshake, {
      localPort: socket.localPort,
      nowSec: env.nowSec,
      replay: env.replay,
      random: env.random,
      keyShare: env.keyShare,
      outbound: this, // pendingBytes: the client write queue plus runs waiting in the output turn
    });
    if (env.initReplay && env.handshake.tls === null) this.#head = Buffer.alloc(0);
    env.counters.active++;
    this.#timer = setTimeout(ClientSession.#fireAlarm, env.handshake.tls ? l.alarmMs : l.giveUpMs, this);
  }

  get state(): State {
    return this.#state;
  }

  // ---- socket events (acceptor.ts)

  onData(chunk: Uint8Array): void {
    this.#env.counters.bytesFromClients += chunk.length;
    switch (this.#state) {
      case "established":
        // Bun gives `data` a fresh buffer: decrypted in place, packets handed on as ranges of it
        if (this.#stack!.decodeEach(chunk, true, this) !== null) this.close("protocol");
        return;
      case "handshake":
        this.#onHandshakeBytes(chunk);
        return;
      case "direct":
        this.#direct!.fromClient(chunk);
        return;
      case "fronting":
        this.#relay!.fromClient(chunk);
        return;
      default: // blackhole, closed: read and discard (C: skip 2^28 bytes)
        return;
    }
  }

  onDrain(): void {
    this.#queue.flush();
    this.#account();
  }

  /** Bun's close/error handler: the socket is gone. Safe to call more than once. */
  onSocketClosed(): void {
    if (this.#state !== "closed") {
      this.#state = "closed";
      this.#env.counters.closes.client++;
      this.#release();
    }
    this.#queue.destroy();
    if (this.#graceTimer) clearTimeout(this.#graceTimer);
    this.#graceTimer = null;
    this.#account();
    if (!this.#gone) {
      this.#gone = true;
      this.#env.counters.active--;
      this.#env.onGone(this);
    }
  }

  /**
   * Ends the session once. `graceful` sends what is queued first (closeFromMiddle, origin gone);
   * otherwise queued output is dropped, as C's fail_connection does. Nothing is ever sent on top.
   */
  close(reason: CloseReason, graceful = false): void {
    if (this.#state === "closed") return;
    if (graceful && this.#stack) {
      this.#flush();
      if ((this.#state as State) === "closed") return; // the flush overflowed and closed
    }
    this.#state = "closed";
    this.#env.counters.closes[reason]++;
    this.#release();
    if (graceful && this.#queue.pendingBytes > 0) {
      const socket = this.#socket;
      this.#graceTimer = setTimeout(() => socket.terminate(), this.#env.limits.closeGraceMs);
      this.#queue.end();
    } else {
      this.#queue.destroy();
      this.#socket.end();
    }
    this.#account();
  }

  /**
   * The output budget chose this session (it holds the most): C's check_all_conn_buffers close.
   * A session already closing gracefully gives up flushing what its client is not reading.
   */
  shed(): void {
    if (this.#state !== "closed") this.close("memory");
    else {
      this.#queue.destroy();
      this.#socket.terminate();
      this.#account();
    }
  }

  /** Cut the socket now (shutdown after its grace period). */
  terminate(): void {
    this.close("shutdown");
    this.#socket.terminate();
  }

  /** PacketSink: one packet the stack cut from this client's bytes (in onData). */
  clientPacket(bytes: Uint8Array, start: number, end: number, quickAck: boolean): void {
    if (this.#state === "established") this.#onPacket(bytes, start, end, quickAck);
  }

  // ---- ClientSink (called by the middle end)

  sendPacket(bytes: Uint8Array, start = 0, end = bytes.length): void {
    const stack = this.#stack;
    if (stack === null || this.#state !== "established") return;
    this.#queueRun(stack.frameAnswer(bytes, start, end, true)); // ClientSink: the bytes are ours now
  }

  sendQuickAck(confirm: number): void {
    const stack = this.#stack;
    if (stack === null || this.#state !== "established") return;
    // the frame encoder writes the token big-endian for abridged, as C byte-swaps (§3.8)
    this.#queueRun(stack.frameQuickAck(confirm));
  }

  closeFromMiddle(_reason: string): void {
    this.#route = null; // the middle end already forgot the binding
    this.close("middle", true);
  }

  middleDrained(): void {
    this.#resume();
  }

  get pendingBytes(): number {
    return this.#unflushedBytes + this.#queue.pendingBytes;
  }

  // ---- handshake

  #onHandshakeBytes(chunk: Uint8Array): void {
    const head = this.#head;
    if (head !== null && head.length < OBFS2_INIT_LEN) {
      this.#head = Buffer.concat([head, chunk.subarray(0, OBFS2_INIT_LEN - head.length)]);
    }
    const out = this.#hs!.push(chunk);
    switch (out.kind) {
      case "need-more":
        if (out.send) this.#writeClient(out.send);
        return;
      case "front":
        countFront(this.#env.counters, out.reason);
        this.#front(out.domain, out.buffered);
        return;
      case "blackhole":
        this.#env.counters.badHandshakes++;
        this.#blackhole();
        return;
      case "close":
        this.close("protocol");
        return;
      case "established": {
        if (!out.tls && this.#isReplayedInit()) {
          const c = this.#env.counters;
          c.replays++;
          c.replayedInits++;
          this.#blackhole();
          return;
        }
        this.#clearTimer();
        this.#hs = null;
        const c = this.#env.counters;
        c.handshakesOk[out.transport]++;
        c.handshakesBySecret[out.secretIndex] = (c.handshakesBySecret[out.secretIndex] ?? 0) + 1;
        if (out.tls) c.tlsHandshakes++;
        const s = this.#socket;
        this.#info = {
          remoteAddress: s.remoteAddress,
          remotePort: s.remotePort,
          localAddress: s.localAddress,
          localPort: s.localPort,
          dc: out.dc,
          transport: out.transport,
          ...(out.secretIndex >= 0 ? { secretIndex: out.secretIndex } : {}),
        };
        this.#stack = out.stack;
        if (this.#env.direct) this.#startDirect(out);
        else {
          this.#state = "established";
          this.#onDecoded(out.first);
        }
        return;
      }
    }
  }

  /** Read and discard everything, never write (§2.5); the alarm (or the give-up bound) stays armed. */
  #blackhole(): void {
    this.#hs = null;
    this.#head = null;
    this.#state = "blackhole";
    this.#env.counters.blackholed++;
  }

  /** Beyond C: a plain/dd init seen recently is a replay (an active probe); remembers new ones. */
  #isReplayedInit(): boolean {
    const cache = this.#env.initReplay;
    const head = this.#head;
    this.#head = null;
    if (!cache || head === null || head.length < OBFS2_INIT_LEN) return false;
    const key = head.subarray(INIT_REPLAY_KEY_OFFSET, INIT_REPLAY_KEY_OFFSET + REPLAY_KEY_LEN);
    if (cache.has(key)) return true;
    cache.add(key, this.#env.nowSec());
    return false;
  }

  /** The alarm's callback: one function for every session (the session rides as its argument). */
  static #fireAlarm(s: ClientSession): void {
    s.#alarm();
  }

  #alarm(): void {
    this.#timer = null;
    if (this.#state !== "handshake" && this.#state !== "blackhole") return;
    const tls = this.#env.handshake.tls;
    if (tls === null) {
      this.close("handshake-timeout");
      return;
    }
    // C fronts whatever is still in c->in; a blackholed connection has discarded its input.
    const buffered = this.#state === "handshake" && this.#hs ? this.#hs.pending() : EMPTY;
    countFront(this.#env.counters, "alarm");
    this.#front(tls.defaultDomain, buffered);
  }

  #front(domain: string, buffered: Uint8Array): void {
    this.#clearTimer();
    this.#hs = null;
    const target = this.#env.frontingTarget(domain, this.#socket.localPort);
    if (target === null) {
      this.#env.log.info(`failed to proxy request to ${domain}`);
      this.close("no-fronting-target");
      return;
    }
    this.#state = "fronting";
    const relay = new FrontingRelay(
      target,
      buffered,
      {
        writeClient: (b) => this.#writeClient(b),
        pauseClient: () => this.#pause(),
        resumeClient: () => this.#resume(),
        originGone: () => this.close("fronting", true),
      },
      this.#env.connect,
      this.#env.counters,
      this.#env.limits.fronting,
    );
    this.#relay = relay;
    this.#queue.onLow = () => relay.clientDrained();
  }

  #startDirect(out: { readonly stack: ClientStack; readonly first: DecodeResult; readonly firstRaw?: Uint8Array }): void {
    if (out.first.kind === "error" || out.firstRaw === undefined) {
      // a broken TLS record right after the init, or a handshake not built with `raw: true`
      this.close("protocol");
      return;
    }
    const firstRaw = out.firstRaw;
    this.#state = "direct";
    const queue = this.#queue;
    const relay = new DirectRelay(out.stack, {
      writeClient: (b) => this.#writeClient(b),
      pauseClient: () => this.#pause(),
      resumeClient: () => this.#resume(),
      directGone: (reason) => this.close(reason, reason === "direct"),
      get clientPendingBytes() {
        return queue.pendingBytes;
      },
    });
    this.#direct = relay;
    this.#queue.onLow = () => relay.clientDrained();
    relay.start(this.#env.direct!, this.#info!, firstRaw);
  }

  // ---- established (middle-end mode)

  #onDecoded(r: DecodeResult): void {
    const packets = r.packets;
    for (let i = 0; i < packets.length; i++) {
      if (this.#state !== "established") return;
      const p = packets[i]!;
      this.#onPacket(p.payload, 0, p.payload.length, p.quickAck);
    }
    if (r.kind === "error") this.close("protocol");
  }

  /** One client packet, bytes[start, end) (a range of the read chunk: no view is cut for it). */
  #onPacket(bytes: Uint8Array, start: number, end: number, quickAck: boolean): void {
    const c = this.#env.counters;
    const a = classifyClientPacket(bytes, start, end);
    if (a.kind === "drop") {
      c.droppedPackets[a.reason]++;
      return;
    }
    if (a.kind === "pong") {
      c.pongs++;
      this.#queueRun(this.#stack!.frameAnswer(a.answer, 0, a.answer.length, true)); // a fresh copy: ours
      return;
    }
    let route = this.#route;
    if (route === null || !route.alive) {
      route = this.#bind();
      if (route === null) return;
    }
    c.forwardedPackets++;
    if (!route.send(bytes, quickAck, start, end)) this.#pause();
  }

  /** forward_tcp_query's connection choice: a fresh binding, or null (dropped / closed). */
  #bind(): MiddleRoute | null {
    this.#route?.close();
    this.#route = null;
    const r = this.#env.middle?.bind(this.#info!, this) ?? null;
    if (r === null) {
      this.#env.counters.droppedPackets["no-middle-end"]++;
      this.#dropped = true;
      return null;
    }
    if (this.#dropped) {
      r.close();
      this.close("dropped");
      return null;
    }
    this.#route = r;
    return r;
  }

  // ---- output

  /** One framed run for the client, written with the event's other output (output-turn.ts). */
  #queueRun(run: Uint8Array): void {
    this.#unflushedBytes += run.length;
    (this.#env.outputTurn ?? processOutputTurn).add(this, run);
    this.#account();
  }

  /** TurnOwner: this event's runs → one CTR pass → one write (BUN-NOTES: one write per event). */
  writeRuns(first: Uint8Array, more: Uint8Array[] | null): void {
    const stack = this.#stack;
    if (stack === null || this.#state !== "established") return; // closed meanwhile: dropped, as C's fail_connection
    this.#unflushedBytes = 0;
    this.#writeClient(stack.seal(first, more));
  }

  /** Sends what the output turn holds for this session now (a graceful close). */
  #flush(): void {
    (this.#env.outputTurn ?? processOutputTurn).flushOwner(this);
  }

  #writeClient(bytes: Uint8Array): WriteResult {
    this.#env.counters.bytesToClients += bytes.length;
    const r = this.#queue.write(bytes);
    if (r === "overflow") this.close("write-overflow");
    else this.#account();
    return r;
  }

  /** Reports what this session holds to the process-wide budget (which may shed this very one). */
  #account(): void {
    const budget = this.#env.budget;
    if (budget === undefined) return;
    const now = this.pendingBytes;
    const before = this.#held;
    if (now === before) return;
    this.#held = now;
    budget.update(this, before, now);
  }

  #pause(): void {
    if (this.#paused) return;
    this.#paused = true;
    this.#socket.pause();
  }

  #resume(): void {
    if (!this.#paused || this.#state === "closed") return;
    this.#paused = false;
    this.#socket.resume();
  }

  #clearTimer(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  /** Drops every resource but the socket and its queue. Runs once (guarded by the state). */
  #release(): void {
    this.#clearTimer();
    this.#hs = null;
    this.#head = null;
    this.#stack?.dispose();
    this.#stack = null;
    this.#unflushedBytes = 0;
    this.#route?.close();
    this.#route = null;
    this.#relay?.close();
    this.#relay = null;
    this.#direct?.closeLink();
    this.#direct = null;
    this.#queue.onLow = undefined; // a graceful close may still drain the queue: nothing to resume
  }
}
