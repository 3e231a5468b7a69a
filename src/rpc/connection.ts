// One middle-end connection: staged handshake (nonce → keys → handshake → ready), one CBC chain per
// direction, per-event coalesced writes, conn-id routing to client sinks. Mirrors net-tcp-rpc-client.c
// (tcp_rpcc_*), rpcc_execute / process_client_packet / mtfront_client_close in mtproto-proxy.c.
import { cbcUpdateOwned, createAesCbcDecryptor, createAesCbcEncryptor, type CbcStream } from "../crypto/aes.ts";
import type { TurnFlushable } from "./flush-turn.ts";
import { WriteQueue } from "../io/write-queue.ts";
import { copyBytes, u32le } from "../io/le.ts";
import type { ClientInfo, ClientSink } from "../proxy/middle-contract.ts";
import { toEndpoint, type Endpoint } from "./address.ts";
import { Binding, type BindingOwner } from "./binding.ts";
import { CONNECT_TIMEOUT_MS, RPCF_USE_CRC32C, SEQ_HANDSHAKE } from "./constants.ts";
import type { ConnectionEvents, ConnectionSettings, ProxySecret } from "./connection-settings.ts";
import { FrameDecoder, FrameEncoder } from "./frame.ts";
import { checkMiddleHandshake, encodeHandshake, encodeHandshakeError, peerPidOf, type ProcessId } from "./handshake.ts";
import { deriveLinkKeys, linkAddresses } from "./keys.ts";
import { checkMiddleNonce, decodeNonce, encodeNonce } from "./nonce.ts";
import type { MiddleSocket } from "./socket.ts";
import {
  classifyClientPacket,
  connIdKey,
  encodeCloseConn,
  encodePing,
  encodePong,
  i64le,
  MIDDLE_FIELDS,
  middlePacketType,
  proxyReqFlags,
  proxyReqHeadBytes,
  writeProxyReqFields,
} from "./wire.ts";

export type { ConnectionEvents, ConnectionSettings, ProxySecret } from "./connection-settings.ts";
export { Binding } from "./binding.ts";

type Stage = "connecting" | "nonce" | "handshake" | "ready" | "closed";

/** The largest ME→proxy packet we buffer; C has no limit, we refuse to buffer without bound. */
const MAX_INBOUND_PACKET = 16 << 20;
const GRACEFUL_CLOSE_MS = 5000;

export class MiddleConnection implements BindingOwner, TurnFlushable {
  readonly target: { host: string; port: number };
  #stage: Stage = "connecting";
  #socket: MiddleSocket | null = null;
  #queue: WriteQueue | null = null;
  readonly #encoder = new FrameEncoder();
  readonly #decoder = new FrameDecoder(MAX_INBOUND_PACKET);
  #cipher: CbcStream | null = null;
  #decipher: CbcStream | null = null;
  #flushScheduled = false;
  readonly #flushTask = (): void => {
    this.#flushScheduled = false;
    this.#flush();
  };
  readonly #pushPlain = (plain: Uint8Array): void => this.#decoder.push(plain);
  #nonceTs = 0;
  #nonce: Uint8Array = new Uint8Array(16);
  #sender: ProcessId;
  #local: Endpoint | null = null;
  #handshakeTimer: ReturnType<typeof setTimeout> | null = null;
  #pingTimer: ReturnType<typeof setInterval> | null = null;
  #lastInboundMs = 0;
  /** By Binding.connId (exact as a number: ids stay below 2^53). */
  readonly #bindings = new Map<number, Binding>();
  readonly #drainWaiters = new Set<Binding>();
  readonly #s: ConnectionSettings;
  readonly #events: ConnectionEvents;
  /** The proxy secret as it was at start(): nonce and key derivation must agree even if applySecret runs between them. */
  #secret: ProxySecret;

  constructor(target: { host: string; port: number }, settings: ConnectionSettings, events: ConnectionEvents) {
    this.target = target;
    this.#s = settings;
    this.#events = events;
    this.#sender = settings.pid;
    this.#secret = settings.secret;
  }

  get stage(): Stage {
    return this.#stage;
  }
  get isReady(): boolean {
    return this.#stage === "ready";
  }
  /** TCP is up (C: an "active" outbound connection for the reconnect back-off). */
  get isConnected(): boolean {
    return this.#stage !== "connecting" && this.#stage !== "closed";
  }
  get boundClients(): number {
    return this.#bindings.size;
  }
  get queuedBytes(): number {
    return this.#encoder.pendingBytes + (this.#queue?.pendingBytes ?? 0);
  }

  start(): void {
    const secret = this.#s.secret;
    this.#secret = { bytes: secret.bytes.slice(), keySelect: secret.keySelect };
    this.#armHandshakeTimer();
    this.#s.connector(this.target, {
      open: (sock) => this.#onOpen(sock),
      data: (chunk) => this.#onData(chunk),
      drain: () => this.#queue?.flush(),
      close: (reason) => this.close(reason || "closed by middle-end"),
    });
  }

  /** Registers a client on this connection (backend-rpc.md §10.6); the caller checked readiness. */
  bind(connId: number, client: ClientInfo, sink: ClientSink): Binding {
    const b = new Binding(this, connId, client, sink, this.#s.nat);
    this.#bindings.set(connId, b);
    return b;
  }

  // ---- outbound

  /** One client packet as RPC_PROXY_REQ; false = over the high-water mark, wait for the sink's middleDrained(). */
  forward(b: Binding, packet: Uint8Array, quickAck: boolean, start = 0, end = packet.length): boolean {
    const c = this.#s.counters;
    if (!b.alive || this.#stage !== "ready") {
      c.droppedQueries++;
      return true;
    }
    const kind = classifyClientPacket(packet, start, end);
    if (kind === "invalid") {
      c.invalidQueries++;
      return true;
    }
    const length = end - start;
    if (this.queuedBytes + length > this.#s.maxQueuedBytes) {
      c.clientsClosedCongested++;
      this.#dropBinding(b, true, "middle-end link congested");
      return true;
    }
    const tag = this.#s.proxyTag;
    const flags = proxyReqFlags(b.client.transport, kind, quickAck, tag !== null);
    const headBytes = proxyReqHeadBytes(flags, tag);
    b.announced = true;
    c.forwardedQueries++;
    // written straight into the batch: the client's payload is copied once, into its frame
    const enc = this.#encoder;
    const off = enc.beginFrame(headBytes + length);
    writeProxyReqFields(enc.buffer, off, flags, b.connId, b.addresses, tag);
    copyBytes(packet, start, end, enc.buffer, off + headBytes);
    enc.endFrame();
    this.#scheduleFlush();
    if (this.queuedBytes > this.#s.highWaterBytes) {
      this.#drainWaiters.add(b);
      return false;
    }
    return true;
  }

  /** The client went away: RPC_CLOSE_CONN if the ME ever saw the id. */
  unbind(b: Binding): void {
    if (this.#bindings.get(b.connId) !== b) return;
    this.#bindings.delete(b.connId);
    this.#drainWaiters.delete(b);
    if (b.announced && this.#stage === "ready") this.#sendCloseConn(BigInt(b.connId));
  }

  #sendCloseConn(connId: bigint): void {
    this.#s.counters.closeConnSent++;
    this.#enqueue(encodeCloseConn(connId));
  }

  #enqueue(body: Uint8Array): void {
    this.#encoder.append(body);
    this.#scheduleFlush();
  }

  #scheduleFlush(): void {
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      // setImmediate, not a microtask: Bun drains microtasks after every socket callback, so a
      // microtask flush wrote once per client event; this writes once per event-loop turn for all
      // the clients whose packets arrived in it (C flushes its ME connections once per epoll round).
      const turn = this.#s.flushTurn;
      if (turn) turn.schedule(this);
      else setImmediate(this.#flushTask);
    }
  }

  // ---- FlushTurn (rpc/flush-turn.ts): frame now, encrypted with the other links' batches, then sent

  takeBatch(): Uint8Array | null {
    this.#flushScheduled = false;
    if (!this.#cipher) {
      this.#flush(); // before the keys exist (nonce stage): plaintext, nothing to encrypt
      return null;
    }
    return this.#takeFrames();
  }

  get batchCipher(): CbcStream {
    return this.#cipher!;
  }

  sendBatch(frames: Uint8Array): void {
    const q = this.#queue;
    if (!q || this.#stage === "closed") return;
    q.writeCopy(frames);
    if (this.#drainWaiters.size > 0 && !q.isAboveHighWater && this.queuedBytes <= this.#s.highWaterBytes) this.#wakeDrainWaiters();
  }

  // Everything produced during one event: one frame run, one pad, one encryption, one write.
  #flush(): void {
    const cipher = this.#cipher;
    const frames = this.#takeFrames();
    if (frames === null) return;
    cipher?.updateInPlace(frames);
    this.sendBatch(frames);
  }

  /** The queued bodies framed, null when nothing is queued or nothing can be sent. Once the keys
   * exist the batch is padded to whole blocks in the encoder's reused scratch buffer (encrypted in
   * place next; WriteQueue.writeCopy copies only what the kernel does not take at once). */
  #takeFrames(): Uint8Array | null {
    if (!this.#queue || this.#stage === "closed") return null;
    return this.#encoder.take(this.#cipher !== null);
  }

  #wakeDrainWaiters(): void {
    const waiters = [...this.#drainWaiters];
    this.#drainWaiters.clear();
    for (const b of waiters) if (b.alive) b.sink.middleDrained();
  }

  // ---- handshake

  #armHandshakeTimer(): void {
    if (this.#handshakeTimer) clearTimeout(this.#handshakeTimer);
    this.#handshakeTimer = setTimeout(() => {
      this.#s.counters.handshakeFailures++;
      this.close(this.#stage === "connecting" ? "connect timeout" : "handshake timeout");
    }, this.#s.handshakeTimeoutMs ?? CONNECT_TIMEOUT_MS);
  }

  #onOpen(sock: MiddleSocket): void {
    if (this.#stage === "closed") {
      sock.terminate();
      return;
    }
    this.#socket = sock;
    this.#queue = new WriteQueue(sock, {
      flushMode: "immediate",
      highWaterMark: this.#s.highWaterBytes,
      lowWaterMark: this.#s.lowWaterBytes,
      maxPendingBytes: Math.max(this.#s.maxQueuedBytes, this.#s.highWaterBytes) * 2,
      onLow: () => this.#wakeDrainWaiters(),
      onClosed: () => this.close("write failed"),
    });
    this.#stage = "nonce";
    this.#lastInboundMs = this.#s.nowMs();
    this.#armHandshakeTimer(); // C resets the 3 s window when TCP connects
    this.#local = toEndpoint(sock.localAddress, sock.localPort);
    if (!this.#sender.ip && this.#local.ipv4 && this.#local.ipv4 !== 0x7f000001) {
      this.#sender = { ...this.#sender, ip: this.#local.ipv4 };
    }
    this.#nonceTs = this.#s.unixSec();
    this.#nonce = this.#s.random.bytes(16);
    this.#enqueue(encodeNonce({ keySelect: this.#secret.keySelect, ts: this.#nonceTs, nonce: this.#nonce }));
    this.#flush();
  }

  #onData(chunk: Uint8Array): void {
    if (this.#stage === "closed" || this.#stage === "connecting") return;
    this.#lastInboundMs = this.#s.nowMs();
    // Bun hands `data` a fresh buffer: it is ours, so whole CBC blocks are decrypted over it.
    if (this.#decipher) cbcUpdateOwned(this.#decipher, chunk, this.#pushPlain);
    else this.#decoder.push(chunk);
    const d = this.#decoder;
    while (d.nextPacket()) {
      if (this.#stage === "ready") this.#onPacket(d.packetBytes, d.bodyStart, d.bodyEnd);
      else if (this.#stage === "nonce") this.#onNonce(d.packetBytes.subarray(d.bodyStart, d.bodyEnd));
      else if (this.#stage === "handshake") this.#onHandshake(d.packetBytes.subarray(d.bodyStart, d.bodyEnd));
      if ((this.#stage as Stage) === "closed") return;
    }
    const e = d.error;
    if (e) this.#fail(e.code, e.reason);
  }

  #onNonce(body: Uint8Array): void {
    const d = decodeNonce(body);
    if (!d.ok) return this.#fail(d.code, d.reason);
    const ok = checkMiddleNonce(d.packet, { keySelect: this.#secret.keySelect, ts: this.#nonceTs });
    if (!ok.ok) return this.#fail(ok.code, ok.reason);
    // tcp_rpcc_start_crypto: nothing may follow the nonce before our handshake went out
    if (this.#decoder.bufferedBytes > 0) return this.#fail(-6, "bytes after the middle-end nonce");
    const sock = this.#socket!;
    const remote = toEndpoint(sock.remoteAddress || this.target.host, sock.remotePort || this.target.port);
    const keys = deriveLinkKeys(
      {
        nonceServer: d.packet.nonce,
        nonceClient: this.#nonce,
        clientTs: this.#nonceTs,
        ...linkAddresses(remote, this.#local!, this.#s.nat),
        secret: this.#secret.bytes,
      },
      "client",
    );
    this.#cipher = createAesCbcEncryptor(keys.write.key, keys.write.iv);
    this.#decipher = createAesCbcDecryptor(keys.read.key, keys.read.iv);
    this.#stage = "handshake";
    this.#encoder.seq = SEQ_HANDSHAKE;
    this.#enqueue(encodeHandshake({ flags: RPCF_USE_CRC32C, sender: this.#sender, peer: peerPidOf(remote.ipv4, remote.port) }));
    this.#flush();
  }

  #onHandshake(body: Uint8Array): void {
    const h = checkMiddleHandshake(body, this.#sender, RPCF_USE_CRC32C);
    if (!h.ok) {
      // best effort, as in C: flushed before a graceful close (an ME that switched to CRC32C drops it)
      if (h.sendError) this.#enqueue(encodeHandshakeError(h.code, this.#sender));
      return this.#fail(h.code, h.reason, h.sendError);
    }
    this.#encoder.useCrc32c = this.#decoder.useCrc32c = h.useCrc32c;
    this.#stage = "ready";
    if (this.#handshakeTimer) clearTimeout(this.#handshakeTimer);
    this.#handshakeTimer = null;
    this.#startKeepalive();
    this.#s.log.debug(`Connected to RPC Middle-End ${this.target.host}:${this.target.port}${h.useCrc32c ? " (crc32c)" : ""}`);
    this.#events.ready(this);
  }

  // ---- tunnel

  /** One packet of the tunnel, bytes[start, end) (read in place: the hot path allocates only the payload view). */
  #onPacket(bytes: Uint8Array, start: number, end: number): void {
    const c = this.#s.counters;
    const f = MIDDLE_FIELDS;
    switch (middlePacketType(bytes, start, end)) {
      case "proxy-ans": {
        const b = this.#bindings.get(connIdKey(bytes, start + f.proxyAns.connId));
        if (!b) {
          c.droppedResponses++;
          this.#sendCloseConn(i64le(bytes, start + f.proxyAns.connId));
          return;
        }
        c.forwardedResponses++;
        b.sink.sendPacket(bytes, start + f.proxyAns.payload, end);
        if (b.sink.pendingBytes > this.#s.maxClientPendingBytes) {
          c.clientsClosedSlow++;
          this.#dropBinding(b, true, "client too slow");
        }
        return;
      }
      case "simple-ack": {
        const b = this.#bindings.get(connIdKey(bytes, start + f.simpleAck.connId));
        if (!b) {
          c.droppedSimpleAcks++;
          this.#sendCloseConn(i64le(bytes, start + f.simpleAck.connId));
          return;
        }
        c.forwardedSimpleAcks++;
        b.sink.sendQuickAck(u32le(bytes, start + f.simpleAck.confirm));
        return;
      }
      case "close-ext": {
        const b = this.#bindings.get(connIdKey(bytes, start + f.closeExt.connId));
        if (b) {
          c.closeExtReceived++;
          this.#dropBinding(b, false, "RPC_CLOSE_EXT");
        }
        return;
      }
      case "ping":
        this.#enqueue(encodePong(bytes.slice(start + f.ping.id, start + f.ping.id + 8)));
        return;
      case "pong":
        return;
      case "ignored":
        c.ignoredPackets++;
        return;
    }
  }

  /** Ends one client from the middle side; `notify` sends RPC_CLOSE_CONN first. */
  #dropBinding(b: Binding, notify: boolean, reason: string): void {
    if (notify) this.unbind(b);
    else {
      this.#bindings.delete(b.connId);
      this.#drainWaiters.delete(b);
    }
    b.markDead();
    b.sink.closeFromMiddle(reason);
  }

  #startKeepalive(): void {
    const every = this.#s.pingIntervalMs;
    if (every <= 0) return;
    this.#pingTimer = setInterval(() => {
      const silentFor = this.#s.nowMs() - this.#lastInboundMs;
      if (this.#s.silenceTimeoutMs > 0 && silentFor > this.#s.silenceTimeoutMs) {
        this.#s.counters.silentClosed++;
        this.#s.log.info(
          `middle-end ${this.target.host}:${this.target.port} silent for ${Math.round(silentFor)} ms, closing it and ${this.#bindings.size} bound clients`,
        );
        this.close("middle-end silent");
        return;
      }
      this.#enqueue(encodePing(this.#s.random.bytes(8)));
    }, every);
  }

  // ---- teardown

  #fail(code: number, reason: string, graceful = false): void {
    if (this.#stage !== "ready") this.#s.counters.handshakeFailures++;
    else this.#s.counters.protocolErrors++;
    this.#s.log.debug(`middle-end ${this.target.host}:${this.target.port}: error ${code}: ${reason}`);
    this.close(`error ${code}: ${reason}`, graceful);
  }

  /**
   * Closes the link and every client bound to it (mtfront_client_close: nothing is sent to the ME).
   * Idempotent. `graceful` flushes what is queued first (used for config removal and shutdown).
   */
  close(reason: string, graceful = false): void {
    if (this.#stage === "closed") return;
    const wasReady = this.#stage === "ready";
    if (graceful) this.#flush();
    this.#stage = "closed";
    if (this.#handshakeTimer) clearTimeout(this.#handshakeTimer);
    if (this.#pingTimer) clearInterval(this.#pingTimer);
    this.#handshakeTimer = this.#pingTimer = null;
    // the cipher contexts live in libcrypto: released now, not whenever the collector runs
    this.#cipher?.free();
    this.#decipher?.free();
    this.#cipher = this.#decipher = null;
    this.#encoder.discard();
    const bound = [...this.#bindings.values()];
    this.#bindings.clear();
    this.#drainWaiters.clear();
    const sock = this.#socket;
    if (graceful && sock) {
      this.#queue?.end();
      // a peer that stopped reading must not keep the socket (or the process) alive
      setTimeout(() => sock.terminate(), GRACEFUL_CLOSE_MS).unref();
    } else {
      this.#queue?.destroy();
      sock?.terminate();
    }
    if (wasReady) this.#s.log.debug(`Disconnected from RPC Middle-End ${this.target.host}:${this.target.port}: ${reason}`);
    for (const b of bound) {
      b.markDead();
      b.sink.closeFromMiddle(reason);
    }
    this.#events.closed(this, reason);
  }
}
