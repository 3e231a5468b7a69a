// A loopback middle-end for tests, built from our own rpc modules: the server side of the real
// handshake (backend-rpc.md §11; a C ME's tcp_rpcs_* behaviour) plus selectable behaviours, and a
// record of every RPC_PROXY_REQ / RPC_CLOSE_CONN / RPC_PONG it receives.
import type { Socket, TCPSocketListener } from "bun";
import { createAesCbcDecryptor, createAesCbcEncryptor, type CbcStream } from "../../src/crypto/aes.ts";
import { systemRandom } from "../../src/crypto/random.ts";
import { WriteQueue } from "../../src/io/write-queue.ts";
import type { NatRule } from "../../src/cli/proxy-options.ts";
import { createNatTable, toEndpoint } from "../../src/rpc/address.ts";
import { RPC_CLOSE_CONN, RPC_HANDSHAKE, RPC_PING, RPC_PONG, RPC_PROXY_REQ, RPCF_USE_CRC32C } from "../../src/rpc/constants.ts";
import { FrameDecoder, FrameEncoder, type FrameBody } from "../../src/rpc/frame.ts";
import { decodeHandshake, encodeHandshake, type ProcessId } from "../../src/rpc/handshake.ts";
import { deriveLinkKeys, linkAddresses } from "../../src/rpc/keys.ts";
import { checkClientNonce, decodeNonce, encodeNonce } from "../../src/rpc/nonce.ts";
import { decodeProxyReq, encodeCloseExt, encodePing, encodePong, encodeProxyAnsHead, encodeSimpleAck } from "../../src/rpc/wire.ts";

export interface RecordedRequest {
  flags: number;
  connId: bigint;
  clientAddr: string;
  clientPort: number;
  proxyAddr: string;
  proxyPort: number;
  /** The TL_PROXY_TAG bytes, null without -P. */
  tag: Uint8Array | null;
  extraSize: number | null;
  payload: Uint8Array;
  /** Index into `connections`. */
  conn: number;
  seq: number;
  crc: "crc32" | "crc32c";
}

/** What to do with one RPC_PROXY_REQ: `echo` answers with the same payload. */
export type Behaviour = "echo" | "silent" | "ignore" | ((req: RecordedRequest, me: FakeMiddleEnd) => void);

export interface FakeMiddleEndOptions {
  secret: Uint8Array;
  behaviour?: Behaviour;
  /** Grant CRC32C (0x800) when asked; false answers flags 0 like seriyps/mtprotoproxy. */
  crc32c?: boolean;
  /** Added to our clock in the nonce. */
  clockSkewSec?: number;
  /** Overrides our key_select (a mismatch makes the proxy fail with −3). */
  keySelect?: number;
  /** Never answer the proxy's handshake (tests the 3 s timeout). */
  noHandshakeReply?: boolean;
  /** PROXY_ANS flags field for echo answers. */
  answerFlags?: number;
  nat?: NatRule[];
  /** Send 16 extra bytes right behind our nonce (a C proxy fails with −6). */
  garbageAfterNonce?: boolean;
  /** Answer the handshake with a peer_pid that is not the proxy's (a C proxy fails with −4). */
  badPeerPid?: boolean;
  /** Listen on this port (default 0: any), e.g. to restart a killed middle end where the proxy expects it. */
  port?: number;
}

export interface FakeConnection {
  index: number;
  stage: "nonce" | "handshake" | "tunnel" | "closed";
  clientFlags: number;
  grantedFlags: number;
  clientPid: ProcessId | null;
  paddingWords: number;
  /** Every tunnel packet received, by type. */
  received: { type: number; seq: number; body: Uint8Array }[];
  socket: Socket<undefined>;
  send(bodies: FrameBody[]): void;
}

const ME_PID: ProcessId = { ip: 0x0a090807, port: 8888, pid: 4321, utime: 1_600_000_000 };

export class FakeMiddleEnd {
  readonly requests: RecordedRequest[] = [];
  readonly closeConns: bigint[] = [];
  readonly pongs: Uint8Array[] = [];
  readonly pings: Uint8Array[] = [];
  readonly connections: FakeConnection[] = [];
  behaviour: Behaviour;
  #listener: TCPSocketListener<undefined> | null = null;
  readonly #opts: FakeMiddleEndOptions;
  readonly #state = new Map<Socket<undefined>, ConnState>();

  private constructor(opts: FakeMiddleEndOptions) {
    this.#opts = opts;
    this.behaviour = opts.behaviour ?? "echo";
  }

  static start(opts: FakeMiddleEndOptions): FakeMiddleEnd {
    const me = new FakeMiddleEnd(opts);
    me.#listener = Bun.listen<undefined>({
      hostname: "127.0.0.1",
      port: opts.port ?? 0,
      socket: {
        binaryType: "uint8array",
        open: (s) => me.#onOpen(s),
        data: (s, d) => me.#onData(s, d),
        drain: (s) => me.#state.get(s)?.queue.flush(),
        close: (s) => me.#onClose(s),
        error: (s) => me.#onClose(s),
      },
    });
    return me;
  }

  get port(): number {
    return this.#listener!.port;
  }
  get host(): string {
    return "127.0.0.1";
  }
  /** Connections that completed the handshake and are still open. */
  get openTunnels(): FakeConnection[] {
    return this.connections.filter((c) => c.stage === "tunnel");
  }

  connectionOf(connId: bigint): FakeConnection {
    const r = this.requests.find((q) => q.connId === connId);
    if (!r) throw new Error(`no request seen for conn id ${connId}`);
    return this.connections[r.conn]!;
  }

  sendProxyAns(connId: bigint, payload: Uint8Array, flags = 0, via?: FakeConnection): void {
    (via ?? this.connectionOf(connId)).send([[encodeProxyAnsHead(flags, connId), payload]]);
  }
  sendSimpleAck(connId: bigint, confirm: number, via?: FakeConnection): void {
    (via ?? this.connectionOf(connId)).send([encodeSimpleAck(connId, confirm)]);
  }
  sendCloseExt(connId: bigint, via?: FakeConnection): void {
    (via ?? this.connectionOf(connId)).send([encodeCloseExt(connId)]);
  }
  sendPing(via: FakeConnection, id: bigint): void {
    via.send([encodePing(id)]);
  }
  /** Drops the TCP connection (no FIN dance): the proxy must close every client bound to it. */
  drop(c: FakeConnection): void {
    c.socket.terminate();
  }

  /** Polls until `pred` holds; throws after `timeoutMs`. */
  async waitFor(pred: () => boolean, timeoutMs = 2000, what = "condition"): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!pred()) {
      if (Date.now() > end) throw new Error(`fake ME: timed out waiting for ${what}`);
      await Bun.sleep(5);
    }
  }

  stop(): void {
    for (const c of this.connections) if (c.stage !== "closed") c.socket.terminate();
    this.#listener?.stop(true);
    this.#listener = null;
  }

  [Symbol.dispose](): void {
    this.stop();
  }

  // ---- server side of the handshake

  #onOpen(s: Socket<undefined>): void {
    const st: ConnState = {
      conn: {
        index: this.connections.length,
        stage: "nonce",
        clientFlags: 0,
        grantedFlags: 0,
        clientPid: null,
        paddingWords: 0,
        received: [],
        socket: s,
        send: (bodies) => this.#send(st, bodies),
      },
      decoder: new FrameDecoder(),
      encoder: new FrameEncoder(),
      queue: new WriteQueue(s, { flushMode: "immediate", highWaterMark: 64 << 20, maxPendingBytes: 256 << 20 }),
      cipher: null,
      decipher: null,
    };
    this.connections.push(st.conn);
    this.#state.set(s, st);
  }

  #onClose(s: Socket<undefined>): void {
    const st = this.#state.get(s);
    if (st) st.conn.stage = "closed";
    this.#state.delete(s);
  }

  #send(st: ConnState, bodies: FrameBody[]): void {
    if (st.conn.stage === "closed") return;
    const plain = st.encoder.encode(bodies, st.cipher !== null);
    st.queue.write(st.cipher ? st.cipher.update(plain) : plain);
  }

  #onData(s: Socket<undefined>, chunk: Uint8Array): void {
    const st = this.#state.get(s);
    if (!st) return;
    st.decoder.push(st.decipher ? st.decipher.update(chunk) : chunk);
    for (;;) {
      const r = st.decoder.next();
      if (r.kind === "need-more") break;
      if (r.kind === "error") {
        s.terminate();
        return;
      }
      if (st.conn.stage === "nonce") {
        if (!this.#onNonce(st, r.body)) {
          s.terminate();
          return;
        }
        // anything already buffered after the nonce was encrypted by the proxy
        continue;
      }
      if (st.conn.stage === "handshake") {
        this.#onHandshake(st, r.body, r.seq);
        continue;
      }
      this.#onTunnel(st, r.body, r.seq);
    }
    st.conn.paddingWords = st.decoder.paddingWords;
  }

  #onNonce(st: ConnState, body: Uint8Array): boolean {
    const d = decodeNonce(body);
    if (!d.ok) return false;
    const secret = this.#opts.secret;
    const ours = new DataView(secret.buffer, secret.byteOffset, 4).getUint32(0, true);
    const now = Math.floor(Date.now() / 1000) + (this.#opts.clockSkewSec ?? 0);
    if (!checkClientNonce(d.packet, { keySelect: ours, nowSec: now - (this.#opts.clockSkewSec ?? 0) }).ok) return false;
    const nonce = systemRandom.bytes(16);
    // tcp_rpcs_init_crypto: the reply goes out plaintext, unpadded
    this.#send(st, [encodeNonce({ keySelect: this.#opts.keySelect ?? ours, ts: now, nonce })]);
    if (this.#opts.garbageAfterNonce) st.queue.write(new Uint8Array(16).fill(0x55));
    const s = st.conn.socket;
    const nat = createNatTable(this.#opts.nat ?? []);
    const ends = linkAddresses(toEndpoint(s.localAddress, s.localPort), toEndpoint(s.remoteAddress, s.remotePort), nat);
    const keys = deriveLinkKeys({ nonceServer: nonce, nonceClient: d.packet.nonce, clientTs: d.packet.ts, ...ends, secret }, "server");
    st.cipher = createAesCbcEncryptor(keys.write.key, keys.write.iv);
    // bytes already decoded past the nonce are impossible: the proxy waits for our nonce
    st.decipher = createAesCbcDecryptor(keys.read.key, keys.read.iv);
    st.conn.stage = "handshake";
    return true;
  }

  #onHandshake(st: ConnState, body: Uint8Array, seq: number): void {
    const d = decodeHandshake(body);
    if (!d.ok || seq !== -1 || new DataView(body.buffer, body.byteOffset).getUint32(0, true) !== RPC_HANDSHAKE) {
      st.conn.socket.terminate();
      return;
    }
    st.conn.clientFlags = d.packet.flags;
    st.conn.clientPid = d.packet.sender;
    if (this.#opts.noHandshakeReply) {
      st.conn.stage = "tunnel";
      st.mute = true;
      return;
    }
    const granted = this.#opts.crc32c === false ? 0 : d.packet.flags & RPCF_USE_CRC32C;
    st.conn.grantedFlags = granted;
    const peer = this.#opts.badPeerPid ? { ...d.packet.sender, pid: d.packet.sender.pid ^ 1 } : d.packet.sender;
    this.#send(st, [encodeHandshake({ flags: granted, sender: ME_PID, peer })]);
    st.encoder.useCrc32c = st.decoder.useCrc32c = granted !== 0;
    st.conn.stage = "tunnel";
  }

  #onTunnel(st: ConnState, body: Uint8Array, seq: number): void {
    const type = body.length >= 4 ? new DataView(body.buffer, body.byteOffset).getUint32(0, true) : 0;
    st.conn.received.push({ type, seq, body: Buffer.from(body) });
    if (this.behaviour === "silent" || st.mute) return;
    switch (type) {
      case RPC_PROXY_REQ: {
        const q = decodeProxyReq(body);
        if (!q) return;
        const rec: RecordedRequest = {
          flags: q.flags,
          connId: q.connId,
          clientAddr: ip16ToText(q.clientIp),
          clientPort: q.clientPort,
          proxyAddr: ip16ToText(q.proxyIp),
          proxyPort: q.proxyPort,
          tag: q.tag,
          extraSize: q.extra ? q.extra.length : null,
          payload: Buffer.from(q.payload),
          conn: st.conn.index,
          seq,
          crc: st.decoder.useCrc32c ? "crc32c" : "crc32",
        };
        this.requests.push(rec);
        const b = this.behaviour;
        if (b === "echo") this.#send(st, [[encodeProxyAnsHead(this.#opts.answerFlags ?? 0, q.connId), rec.payload]]);
        else if (typeof b === "function") b(rec, this);
        return;
      }
      case RPC_CLOSE_CONN:
        if (body.length === 12) this.closeConns.push(new DataView(body.buffer, body.byteOffset).getBigInt64(4, true));
        return;
      case RPC_PONG:
        this.pongs.push(Buffer.from(body.subarray(4)));
        return;
      case RPC_PING:
        this.pings.push(Buffer.from(body.subarray(4)));
        if (body.length === 12) this.#send(st, [encodePong(body.subarray(4, 12))]);
        return;
    }
  }
}

interface ConnState {
  conn: FakeConnection;
  decoder: FrameDecoder;
  encoder: FrameEncoder;
  queue: WriteQueue;
  cipher: CbcStream | null;
  decipher: CbcStream | null;
  mute?: boolean;
}

/** 16 address bytes → "a.b.c.d" for ::ffff:a.b.c.d, else compressed-free IPv6 text. */
export function ip16ToText(b: Uint8Array): string {
  const mapped = b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff;
  if (mapped) return `${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[i]! << 8) | b[i + 1]!).toString(16));
  return groups.join(":");
}
