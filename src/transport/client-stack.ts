// One client connection after the handshake: TLS records → CTR decrypt → framing on the way in,
// framing → CTR encrypt → TLS records on the way out, with one cap on buffered bytes.
// Mirrors the C pipeline cpu_tcp_aes_crypto_ctr128_decrypt_input → tcp_rpcs_compact_parse_execute and
// tcp_rpc_write_packet_compact → cpu_tcp_aes_crypto_ctr128_encrypt_output; cap = check_conn_buffers (§3.7).

import type { CtrStream } from "../crypto/aes.ts";
import type { RandomSource } from "../crypto/random.ts";
import {
  MAX_CONNECTION_BUFFER_BYTES,
  protocolError,
  collectPackets,
  type ClientTransport,
  type DecodeResult,
  type FrameDecoder,
  type PacketSink,
  type ProtocolError,
} from "./codec.ts";
import { createFrameDecoder } from "./frame-decoder.ts";
import { createFrameEncoder, type FrameEncoder } from "./frame-encoder.ts";
import { copyBytes } from "../io/le.ts";
import { createTlsRecordReader, type TlsRecordReader, encodeTlsRecords, TLS_RECORD_HEADER_BYTES, TLS_RECORD_PAYLOAD_DEFAULT, writeTlsRecordHeader } from "./faketls-records.ts";

export interface ClientStackOptions {
  readonly transport: ClientTransport;
  /** From acceptObfuscated2: read stream at offset 64, write stream at 0. */
  readonly readCipher: CtrStream;
  readonly writeCipher: CtrStream;
  /** Fake-TLS wrapping, or null for plain obfuscated2. */
  readonly tls: null | {
    /** Payload bytes of the first client record left after the init (FirstFlight.recordRemaining). */
    readonly recordRemaining: number;
    /** 1425 for C parity, 16384 by default. */
    readonly maxRecordPayload?: number;
  };
  readonly random: RandomSource;
  /** Close when more than this is buffered for the connection (in + out); C: 32 MiB. */
  readonly maxBufferedBytes?: number;
  /** Bytes the session's write queue still holds towards the client (counted in the cap). */
  readonly outbound?: OutboundBytes;
}

/** Whatever holds the connection's not-yet-sent output (the session): read when the cap is checked. */
export interface OutboundBytes {
  readonly pendingBytes: number;
}

export interface ClientStack {
  /**
   * Raw bytes from the socket (after the handshake) → whole packets, or an error to close on.
   * `owned`: the caller hands `chunk` over (a socket read), so it is decrypted in place and the
   * packets are views of it; otherwise the chunk is left as it was.
   */
  decode(chunk: Uint8Array, owned?: boolean): DecodeResult;
  /** decode() without result objects (the data path): packets go to `sink` as they are cut;
   * returns the error to close on (after the packets before it), or null. */
  decodeEach(chunk: Uint8Array, owned: boolean, sink: PacketSink): ProtocolError | null;
  /**
   * One RPC_PROXY_ANS payload (or a pong), bytes[start, end), framed, still in plaintext, for seal().
   * `owned`: nobody reads `bytes` up to `end` after this call, so the header is written into the
   * bytes in front of the answer and the run is a view of `bytes` (no copy); otherwise a new buffer.
   */
  frameAnswer(bytes: Uint8Array, start: number, end: number, owned: boolean): Uint8Array;
  /** The quick ack for RPC_SIMPLE_ACK `confirm`, framed, in a new buffer. */
  frameQuickAck(token: number): Uint8Array;
  /**
   * Framed runs, in the order they were framed → one CTR pass (in place: the runs are used up)
   * → TLS records: the bytes for one socket write. Under fake TLS every run starts with
   * TLS_RECORD_HEADER_BYTES kept free, where a one-record write gets its header (no copy).
   */
  seal(first: Uint8Array, more: readonly Uint8Array[] | null): Uint8Array;
  /** queuePacket/queueQuickAck/flush: the same, holding the runs in the stack (tests, tools). */
  queuePacket(payload: Uint8Array, owned?: boolean): void;
  queueQuickAck(token: number): void;
  /** The runs queued so far, sealed; null if nothing is queued. */
  flush(): Uint8Array | null;
  /** Inbound bytes held by the layers plus outbound bytes queued and not flushed. */
  readonly bufferedBytes: number;
  /**
   * Direct mode (no framing): socket bytes → TLS records unwrapped (fake-TLS mode) → CTR decrypt.
   * Never mix with decode() on one stack: both advance the same read stream.
   */
  decodeRaw(chunk: Uint8Array, owned?: boolean): RawDecodeResult;
  /** Direct mode: CTR encrypt (in place when `owned`) → TLS records (fake-TLS mode): the bytes for one socket write. */
  encodeRaw(plain: Uint8Array, owned?: boolean): Uint8Array;
  /** Releases both cipher contexts; the stack is unusable after. Idempotent. */
  dispose(): void;
}

export type RawDecodeResult =
  | { readonly kind: "ok"; readonly data: Uint8Array }
  | { readonly kind: "error"; readonly error: ProtocolError };

const NO_BYTES = new Uint8Array(0);
// Scratch shared by every stack, used and emptied within one call (no stack calls another inside):
// the record payload pieces of one read as [start, end) pairs of the chunk (numbers: no views), and
// the frame parts of one quick ack (they may include shared constants: always copied).
const PIECES: number[] = [];
const SCRATCH: Uint8Array[] = [];

/**
 * The record payload of one read, from its [start, end) `pieces`: nothing, the chunk itself or a
 * view of it (one record), or (several records) their payloads joined into a fresh buffer.
 */
function recordPayload(chunk: Uint8Array, pieces: readonly number[]): Uint8Array {
  const n = pieces.length >> 1;
  if (n === 0) return NO_BYTES;
  if (n === 1) return pieces[0] === 0 && pieces[1] === chunk.length ? chunk : chunk.subarray(pieces[0]!, pieces[1]!);
  let total = 0;
  for (let i = 0; i < pieces.length; i += 2) total += pieces[i + 1]! - pieces[i]!;
  const joined = Buffer.allocUnsafe(total);
  let at = 0;
  for (let i = 0; i < pieces.length; i += 2) {
    copyBytes(chunk, pieces[i]!, pieces[i + 1]!, joined, at);
    at += pieces[i + 1]! - pieces[i]!;
  }
  return joined;
}

export function createClientStack(opts: ClientStackOptions): ClientStack {
  return new ClientStackImpl(opts);
}

// A class, not a closure per method: a client holds one of these for its life, and ~15 closures
// plus their scopes each would be ~2 KB per client and ~20 more objects for the collector to
// trace whenever a burst of clients connects (docs/benchmarks.md, fourth session).
class ClientStackImpl implements ClientStack {
  readonly #frames: FrameDecoder;
  readonly #encoder: FrameEncoder;
  readonly #records: TlsRecordReader | null;
  readonly #maxRecord: number;
  readonly #cap: number;
  readonly #readCipher: CtrStream;
  readonly #writeCipher: CtrStream;
  readonly #outbound: OutboundBytes | undefined;
  /** queuePacket/queueQuickAck runs until flush() (that API is for tests and tools: made on first use). */
  #parts: Uint8Array[] | null = null;
  #queued = 0;
  /** Every run starts with this many free bytes: the fake-TLS record header is written there by seal(). */
  readonly #room: number;

  constructor(opts: ClientStackOptions) {
    this.#frames = createFrameDecoder(opts.transport);
    this.#encoder = createFrameEncoder(opts.transport, opts.random);
    this.#records = opts.tls ? createTlsRecordReader(opts.tls.recordRemaining) : null;
    this.#maxRecord = opts.tls?.maxRecordPayload ?? TLS_RECORD_PAYLOAD_DEFAULT;
    this.#cap = opts.maxBufferedBytes ?? MAX_CONNECTION_BUFFER_BYTES;
    this.#readCipher = opts.readCipher;
    this.#writeCipher = opts.writeCipher;
    this.#outbound = opts.outbound;
    this.#room = this.#records ? TLS_RECORD_HEADER_BYTES : 0;
  }

  #inbound(): number {
    return this.#frames.bufferedBytes + (this.#records?.bufferedBytes ?? 0);
  }

  #overflow(): boolean {
    return this.#inbound() + this.#queued + (this.#outbound?.pendingBytes ?? 0) > this.#cap;
  }

  decodeEach(chunk: Uint8Array, owned: boolean, sink: PacketSink): ProtocolError | null {
    let cipherText: Uint8Array = chunk;
    let recordError: ProtocolError | null = null;
    if (this.#records) {
      PIECES.length = 0;
      recordError = this.#records.pushEach(chunk, PIECES);
      cipherText = recordPayload(chunk, PIECES);
      if (PIECES.length > 2) owned = true; // a fresh join
    }
    if (cipherText.length > 0) {
      if (owned) this.#readCipher.updateInPlace(cipherText);
      const error = this.#frames.pushEach(owned ? cipherText : this.#readCipher.update(cipherText), sink);
      if (error) return error;
    }
    if (recordError) return recordError;
    if (this.#overflow()) return protocolError("buffer-overflow", `more than ${this.#cap} bytes buffered`);
    return null;
  }

  decode(chunk: Uint8Array, owned = false): DecodeResult {
    return collectPackets((sink) => this.decodeEach(chunk, owned, sink));
  }

  frameAnswer(bytes: Uint8Array, start: number, end: number, owned: boolean): Uint8Array {
    const length = end - start;
    if (owned) {
      // the header goes into the bytes before the answer (the RPC_PROXY_ANS head it came in), and
      // under fake TLS the room for the record header before that
      const h = this.#encoder.inPlaceHeaderBytes(length);
      if (h > 0 && start >= h + this.#room) {
        this.#encoder.writeHeader(length, bytes, start - h);
        return bytes.subarray(start - h - this.#room, end);
      }
    }
    return this.#encoder.packetInto(bytes, start, end, this.#room);
  }

  frameQuickAck(token: number): Uint8Array {
    this.#encoder.quickAck(token, SCRATCH);
    let n = this.#room;
    for (const p of SCRATCH) n += p.length;
    const run = Buffer.allocUnsafe(n);
    let at = this.#room;
    for (const p of SCRATCH) {
      run.set(p, at);
      at += p.length;
    }
    SCRATCH.length = 0;
    return run;
  }

  seal(first: Uint8Array, more: readonly Uint8Array[] | null): Uint8Array {
    let run = first;
    if (more !== null && more.length > 0) {
      let n = first.length;
      for (let i = 0; i < more.length; i++) n += more[i]!.length - this.#room;
      run = Buffer.allocUnsafe(n);
      run.set(first, 0);
      let at = first.length;
      for (let i = 0; i < more.length; i++) {
        copyBytes(more[i]!, this.#room, more[i]!.length, run, at);
        at += more[i]!.length - this.#room;
      }
    }
    if (this.#records === null) {
      this.#writeCipher.updateInPlace(run);
      return run;
    }
    const body = run.subarray(this.#room);
    this.#writeCipher.updateInPlace(body);
    if (body.length > this.#maxRecord) return encodeTlsRecords(body, this.#maxRecord);
    writeTlsRecordHeader(run, 0, body.length); // one record: its header goes in the room kept for it
    return run;
  }

  queuePacket(payload: Uint8Array, owned = false): void {
    const run = this.frameAnswer(payload, 0, payload.length, owned);
    (this.#parts ??= []).push(run);
    this.#queued += run.length;
  }

  queueQuickAck(token: number): void {
    const run = this.frameQuickAck(token);
    (this.#parts ??= []).push(run);
    this.#queued += run.length;
  }

  flush(): Uint8Array | null {
    const parts = this.#parts;
    if (parts === null || parts.length === 0) return null;
    const out = this.seal(parts[0]!, parts.length > 1 ? parts.slice(1) : null);
    parts.length = 0;
    this.#queued = 0;
    return out;
  }

  get bufferedBytes(): number {
    return this.#inbound() + this.#queued;
  }

  decodeRaw(chunk: Uint8Array, owned = false): RawDecodeResult {
    if (!this.#records) {
      if (chunk.length === 0) return { kind: "ok", data: NO_BYTES };
      if (!owned) return { kind: "ok", data: this.#readCipher.update(chunk) };
      this.#readCipher.updateInPlace(chunk);
      return { kind: "ok", data: chunk };
    }
    PIECES.length = 0;
    const error = this.#records.pushEach(chunk, PIECES);
    // A bad record header ends the connection; bytes before it are not worth relaying.
    if (error) return { kind: "error", error };
    const data = recordPayload(chunk, PIECES);
    if (data.length === 0) return { kind: "ok", data: NO_BYTES };
    if (PIECES.length === 2 && !owned) return { kind: "ok", data: this.#readCipher.update(data) };
    this.#readCipher.updateInPlace(data); // ours: the caller's chunk, or a fresh join
    return { kind: "ok", data };
  }

  encodeRaw(plain: Uint8Array, owned = false): Uint8Array {
    let cipherText = plain;
    if (owned) this.#writeCipher.updateInPlace(plain);
    else cipherText = this.#writeCipher.update(plain);
    return this.#records ? encodeTlsRecords(cipherText, this.#maxRecord) : cipherText;
  }

  dispose(): void {
    this.#readCipher.free();
    this.#writeCipher.free();
  }
}

