// One client connection after the handshake: TLS records → CTR decrypt → framing on the way in,
// framing → CTR encrypt → TLS records on the way out, with one cap on buffered bytes.
// Mirrors the C pipeline cpu_tcp_aes_crypto_ctr128_decrypt_input → tcp_rpcs_compact_parse_execute and
// tcp_rpc_write_packet_compact → cpu_tcp_aes_crypto_ctr128_encrypt_output; cap = check_conn_buffers (§3.7).

import type { CtrStream } from "../crypto/aes.ts";
import type { RandomSource } from "../crypto/random.ts";
import {
  MAX_CONNECTION_BUFFER_BYTES,
  protocolError,
  type ClientPacket,
  type ClientTransport,
  type DecodeResult,
  type PacketHandler,
  type ProtocolError,
} from "./codec.ts";
import { createFrameDecoder } from "./frame-decoder.ts";
import { createFrameEncoder } from "./frame-encoder.ts";
import { copyBytes } from "../io/le.ts";
import { createTlsRecordReader, encodeTlsRecords, TLS_RECORD_HEADER_BYTES, TLS_RECORD_PAYLOAD_DEFAULT, writeTlsRecordHeader } from "./faketls-records.ts";

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
  readonly outboundBytes?: () => number;
}

export interface ClientStack {
  /**
   * Raw bytes from the socket (after the handshake) → whole packets, or an error to close on.
   * `owned`: the caller hands `chunk` over (a socket read), so it is decrypted in place and the
   * packets are views of it; otherwise the chunk is left as it was.
   */
  decode(chunk: Uint8Array, owned?: boolean): DecodeResult;
  /** decode() without result objects (the data path): packets go to `onPacket` as they are cut;
   * returns the error to close on (after the packets before it), or null. */
  decodeEach(chunk: Uint8Array, owned: boolean, onPacket: PacketHandler): ProtocolError | null;
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

export function createClientStack(opts: ClientStackOptions): ClientStack {
  const frames = createFrameDecoder(opts.transport);
  const encoder = createFrameEncoder(opts.transport, opts.random);
  const records = opts.tls ? createTlsRecordReader(opts.tls.recordRemaining) : null;
  const maxRecord = opts.tls?.maxRecordPayload ?? TLS_RECORD_PAYLOAD_DEFAULT;
  const cap = opts.maxBufferedBytes ?? MAX_CONNECTION_BUFFER_BYTES;
  const { readCipher, writeCipher } = opts;
  const parts: Uint8Array[] = []; // queuePacket/queueQuickAck runs until flush()
  let queued = 0;
  // the record payload pieces of one read, as [start, end) pairs of the chunk (numbers: no views)
  const pieces: number[] = [];
  const onPiece = (start: number, end: number): void => {
    pieces.push(start, end);
  };
  // frame parts of one frameQuickAck (they may include shared constants: always copied)
  const scratch: Uint8Array[] = [];
  // every run starts with this many free bytes: the fake-TLS record header is written there by seal()
  const room = records ? TLS_RECORD_HEADER_BYTES : 0;

  const inbound = (): number => frames.bufferedBytes + (records?.bufferedBytes ?? 0);
  const overflow = (): boolean => inbound() + queued + (opts.outboundBytes?.() ?? 0) > cap;

  return {
    decodeEach(chunk, owned, onPacket) {
      let cipherText: Uint8Array = chunk;
      let recordError: ProtocolError | null = null;
      if (records) {
        pieces.length = 0;
        recordError = records.pushEach(chunk, onPiece);
        const n = pieces.length >> 1;
        if (n === 0) cipherText = NO_BYTES;
        else if (n === 1) cipherText = pieces[0] === 0 && pieces[1] === chunk.length ? chunk : chunk.subarray(pieces[0]!, pieces[1]!);
        else {
          // several records in one read: their payloads joined into a fresh buffer, ours to decrypt
          let total = 0;
          for (let i = 0; i < pieces.length; i += 2) total += pieces[i + 1]! - pieces[i]!;
          cipherText = Buffer.allocUnsafe(total);
          let at = 0;
          for (let i = 0; i < pieces.length; i += 2) {
            copyBytes(chunk, pieces[i]!, pieces[i + 1]!, cipherText, at);
            at += pieces[i + 1]! - pieces[i]!;
          }
          owned = true;
        }
      }
      if (cipherText.length > 0) {
        if (owned) readCipher.updateInPlace(cipherText);
        const error = frames.pushEach(owned ? cipherText : readCipher.update(cipherText), onPacket);
        if (error) return error;
      }
      if (recordError) return recordError;
      if (overflow()) return protocolError("buffer-overflow", `more than ${cap} bytes buffered`);
      return null;
    },
    decode(chunk, owned = false) {
      const packets: ClientPacket[] = [];
      const error = this.decodeEach(chunk, owned, (bytes, start, end, quickAck) => packets.push({ payload: bytes.subarray(start, end), quickAck }));
      return error ? { kind: "error", packets, error } : { kind: "ok", packets };
    },
    frameAnswer(bytes, start, end, owned) {
      const length = end - start;
      if (owned) {
        // the header goes into the bytes before the answer (the RPC_PROXY_ANS head it came in), and
        // under fake TLS the record header's room before that
        const h = encoder.inPlaceHeaderBytes(length);
        if (h > 0 && start >= h + room) {
          encoder.writeHeader(length, bytes, start - h);
          return bytes.subarray(start - h - room, end);
        }
      }
      return encoder.packetInto(bytes, start, end, room);
    },
    frameQuickAck(token) {
      encoder.quickAck(token, scratch);
      let n = room;
      for (const p of scratch) n += p.length;
      const run = Buffer.allocUnsafe(n);
      let at = room;
      for (const p of scratch) {
        run.set(p, at);
        at += p.length;
      }
      scratch.length = 0;
      return run;
    },
    seal(first, more) {
      let run = first;
      if (more !== null && more.length > 0) {
        let n = first.length;
        for (let i = 0; i < more.length; i++) n += more[i]!.length - room;
        run = Buffer.allocUnsafe(n);
        run.set(first, 0);
        let at = first.length;
        for (let i = 0; i < more.length; i++) {
          copyBytes(more[i]!, room, more[i]!.length, run, at);
          at += more[i]!.length - room;
        }
      }
      if (records === null) {
        writeCipher.updateInPlace(run);
        return run;
      }
      const body = run.subarray(room);
      writeCipher.updateInPlace(body);
      if (body.length > maxRecord) return encodeTlsRecords(body, maxRecord);
      writeTlsRecordHeader(run, 0, body.length); // one record: its header goes in the room kept for it
      return run;
    },
    queuePacket(payload, owned = false) {
      const run = this.frameAnswer(payload, 0, payload.length, owned);
      parts.push(run);
      queued += run.length;
    },
    queueQuickAck(token) {
      const run = this.frameQuickAck(token);
      parts.push(run);
      queued += run.length;
    },
    flush() {
      if (parts.length === 0) return null;
      const out = this.seal(parts[0]!, parts.length > 1 ? parts.slice(1) : null);
      parts.length = 0;
      queued = 0;
      return out;
    },
    get bufferedBytes() {
      return inbound() + queued;
    },
    decodeRaw(chunk, owned = false) {
      if (!records) {
        if (chunk.length === 0) return { kind: "ok", data: NO_BYTES };
        if (!owned) return { kind: "ok", data: readCipher.update(chunk) };
        readCipher.updateInPlace(chunk);
        return { kind: "ok", data: chunk };
      }
      const r = records.push(chunk);
      // A bad record header ends the connection; bytes before it are not worth relaying.
      if (r.kind === "error") return { kind: "error", error: r.error };
      const n = r.payload.length;
      if (n === 0) return { kind: "ok", data: NO_BYTES };
      if (n === 1 && !owned) return { kind: "ok", data: readCipher.update(r.payload[0]!) };
      const data = n === 1 ? r.payload[0]! : Buffer.concat(r.payload);
      readCipher.updateInPlace(data);
      return { kind: "ok", data };
    },
    encodeRaw(plain, owned = false) {
      let cipherText = plain;
      if (owned) writeCipher.updateInPlace(plain);
      else cipherText = writeCipher.update(plain);
      return records ? encodeTlsRecords(cipherText, maxRecord) : cipherText;
    },
    dispose() {
      readCipher.free();
      writeCipher.free();
    },
  };
}
