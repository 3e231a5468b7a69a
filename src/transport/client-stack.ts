// One client connection after the handshake: TLS records → CTR decrypt → framing on the way in,
// framing → CTR encrypt → TLS records on the way out, with one cap on buffered bytes.
// Mirrors the C pipeline cpu_tcp_aes_crypto_ctr128_decrypt_input → tcp_rpcs_compact_parse_execute and
// tcp_rpc_write_packet_compact → cpu_tcp_aes_crypto_ctr128_encrypt_output; cap = check_conn_buffers (§3.7).

import type { CtrStream } from "../crypto/aes.ts";
import type { RandomSource } from "../crypto/random.ts";
import {
  MAX_CONNECTION_BUFFER_BYTES,
  protocolError,
  type ClientTransport,
  type DecodeResult,
  type ProtocolError,
} from "./codec.ts";
import { createFrameDecoder } from "./frame-decoder.ts";
import { createFrameEncoder } from "./frame-encoder.ts";
import { createTlsRecordReader, encodeTlsRecords, TLS_RECORD_PAYLOAD_DEFAULT } from "./faketls-records.ts";

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
  /**
   * Queues one RPC_PROXY_ANS payload (or a pong) for the next flush. `owned`: nobody reads the
   * payload, nor the 4 bytes before it, after this call, so the flush may encrypt them in place.
   */
  queuePacket(payload: Uint8Array, owned?: boolean): void;
  /** Queues the quick ack for RPC_SIMPLE_ACK `confirm`. */
  queueQuickAck(token: number): void;
  /** Frames → one CTR pass → TLS records: the bytes for one socket write, or null if nothing is queued. */
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
  let parts: Uint8Array[] = [];
  let queued = 0;
  let ownedPayload: Uint8Array | null = null; // may be encrypted in place with its frame header

  const inbound = (): number => frames.bufferedBytes + (records?.bufferedBytes ?? 0);
  const overflow = (): boolean => inbound() + queued + (opts.outboundBytes?.() ?? 0) > cap;

  return {
    decode(chunk, owned = false) {
      let cipherText: Uint8Array;
      let recordError: DecodeResult | null = null;
      if (records) {
        const r = records.push(chunk);
        cipherText = r.payload.length === 1 ? r.payload[0]! : Buffer.concat(r.payload);
        if (r.payload.length > 1) owned = true; // a fresh concatenation
        if (r.kind === "error") recordError = { kind: "error", packets: [], error: r.error };
      } else {
        cipherText = chunk;
      }
      let result: DecodeResult = { kind: "ok", packets: [] };
      if (cipherText.length > 0) {
        if (owned) readCipher.updateInPlace(cipherText);
        result = frames.push(owned ? cipherText : readCipher.update(cipherText));
      }
      if (result.kind === "error") return result;
      if (recordError) return { ...recordError, packets: result.packets };
      if (overflow()) {
        return { kind: "error", packets: result.packets, error: protocolError("buffer-overflow", `more than ${cap} bytes buffered`) };
      }
      return result;
    },
    queuePacket(payload, owned = false) {
      const before = parts.length;
      ownedPayload = owned && before === 0 ? payload : null;
      encoder.packet(payload, parts);
      for (let i = before; i < parts.length; i++) queued += parts[i]!.length;
    },
    queueQuickAck(token) {
      const before = parts.length;
      encoder.quickAck(token, parts);
      for (let i = before; i < parts.length; i++) queued += parts[i]!.length;
    },
    flush() {
      if (queued === 0) return null;
      let cipherText: Uint8Array;
      if (parts.length === 2) {
        cipherText = parts[1] === ownedPayload ? encryptHeadedInPlace(writeCipher, parts[0]!, parts[1]!) : encryptHeaded(writeCipher, parts[0]!, parts[1]!);
      } else if (parts.length === 1) {
        cipherText = writeCipher.update(parts[0]!);
      } else {
        cipherText = Buffer.concat(parts, queued);
        writeCipher.updateInPlace(cipherText);
      }
      ownedPayload = null;
      parts = [];
      queued = 0;
      return records ? encodeTlsRecords(cipherText, maxRecord) : cipherText;
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

/**
 * One frame header + one payload (one answer per flush, the common case) through the cipher without
 * concatenating them: when the payload's buffer has room before it (the RPC_PROXY_ANS header it came
 * in), the header is written there, the run is encrypted in one pass, and the borrowed bytes are put
 * back before anyone else can look, so the payload's owner sees its buffer unchanged.
 */
/** encryptHeaded for a payload handed over with its header: the run is encrypted where it lies. */
function encryptHeadedInPlace(cipher: CtrStream, head: Uint8Array, payload: Uint8Array): Uint8Array {
  const h = head.length;
  if (payload.byteOffset < h || h > 4) return encryptHeaded(cipher, head, payload);
  const run = new Uint8Array(payload.buffer, payload.byteOffset - h, h + payload.length);
  run.set(head);
  cipher.updateInPlace(run);
  return run;
}

function encryptHeaded(cipher: CtrStream, head: Uint8Array, payload: Uint8Array): Uint8Array {
  const h = head.length;
  if (payload.byteOffset < h || h > 4) return cipher.update(Buffer.concat([head, payload], h + payload.length));
  const run = new Uint8Array(payload.buffer, payload.byteOffset - h, h + payload.length);
  const saved = run[0]! | (run[1]! << 8) | (run[2]! << 16) | (run[3]! << 24);
  run.set(head);
  const out = cipher.update(run);
  for (let i = 0; i < h; i++) run[i] = (saved >>> (8 * i)) & 0xff;
  return out;
}
