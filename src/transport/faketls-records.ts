// The fake-TLS record layer after the handshake. Client→proxy: the first flight (CCS + first
// application-data record holding the obfuscated2 init), then 17 03 03 records whose payloads are
// one byte stream. Proxy→client: ciphertext cut into 17 03 03 records.
// Mirrors tcp_rpcs_compact_parse_execute (C_IS_TLS branch) and net-tcp-connections.c:
// cpu_tcp_aes_crypto_ctr128_decrypt_input / _encrypt_output (client-side.md §4.8).

import { protocolError, type ProtocolError } from "./codec.ts";
import { OBFS2_INIT_LEN } from "./obfuscated2.ts";

/** C's cap on outgoing record payloads (strict parity). */
export const TLS_RECORD_PAYLOAD_STRICT = 1425;
/** The TLS plaintext maximum (2^14): our default, like mtg / mtprotoproxy / the Erlang proxy. */
export const TLS_RECORD_PAYLOAD_DEFAULT = 16384;
/** tdlib's MAX_TLS_PACKET_LENGTH for client records. */
export const TLS_CLIENT_RECORD_PAYLOAD = 2878;

const FIRST_FLIGHT_PREFIX = Uint8Array.of(0x14, 0x03, 0x03, 0x00, 0x01, 0x01, 0x17, 0x03, 0x03);
const FIRST_FLIGHT_HEAD = 11;

export type FirstFlight =
  | { readonly kind: "need-more" }
  | { readonly kind: "error"; readonly error: ProtocolError }
  | {
      readonly kind: "ok";
      /** The 64-byte obfuscated2 init (a view). */
      readonly init: Uint8Array;
      /** Everything after the init (rest of the first record, then further records), a view. */
      readonly rest: Uint8Array;
      /** Payload bytes of the first record still inside `rest`. */
      readonly recordRemaining: number;
    };

/** State TLS_WAIT_FIRST_RECORD: waits for 11 bytes, then for the whole first record. */
export function parseFirstFlight(b: Uint8Array): FirstFlight {
  if (b.length < FIRST_FLIGHT_HEAD) return { kind: "need-more" };
  for (let i = 0; i < FIRST_FLIGHT_PREFIX.length; i++) {
    if (b[i] !== FIRST_FLIGHT_PREFIX[i]) {
      return { kind: "error", error: protocolError("bad-tls-header", "bad client dummy ChangeCipherSpec") };
    }
  }
  const recordLen = (b[9]! << 8) | b[10]!;
  if (b.length < FIRST_FLIGHT_HEAD + recordLen) return { kind: "need-more" };
  if (recordLen < OBFS2_INIT_LEN) {
    return { kind: "error", error: protocolError("short-first-record", `first TLS record of ${recordLen} bytes`) };
  }
  const initEnd = FIRST_FLIGHT_HEAD + OBFS2_INIT_LEN;
  return { kind: "ok", init: b.subarray(FIRST_FLIGHT_HEAD, initEnd), rest: b.subarray(initEnd), recordRemaining: recordLen - OBFS2_INIT_LEN };
}

export type RecordResult =
  | { readonly kind: "ok"; readonly payload: Uint8Array[] }
  | { readonly kind: "error"; readonly payload: Uint8Array[]; readonly error: ProtocolError };

export interface TlsRecordReader {
  /** Returns the record payload bytes in this chunk (views), headers stripped. */
  push(chunk: Uint8Array): RecordResult;
  /** push() without views or result objects: appends each payload piece to `pieces` as the pair
   * start, end of chunk[start, end), in order; returns the error that ends the stream (after the
   * pieces before it), or null. */
  pushEach(chunk: Uint8Array, pieces: number[]): ProtocolError | null;
  /** Header bytes held back (0..4). */
  readonly bufferedBytes: number;
}

/**
 * Each record must start 17 03 03 (a second CCS or an alert closes the connection), length 0..65535.
 * `recordRemaining` continues the first record after the init.
 */
export function createTlsRecordReader(recordRemaining = 0, expectedType = 0x17): TlsRecordReader {
  let left = recordRemaining;
  const header = new Uint8Array(5);
  let have = 0;
  return {
    get bufferedBytes() {
      return have;
    },
    pushEach(chunk, pieces) {
      let pos = 0;
      while (pos < chunk.length) {
        if (left === 0) {
          while (have < 5 && pos < chunk.length) header[have++] = chunk[pos++]!;
          if (have < 5) break;
          have = 0;
          if (header[0] !== expectedType || header[1] !== 0x03 || header[2] !== 0x03) {
            return protocolError("bad-tls-header", "expected a TLS application-data header");
          }
          left = (header[3]! << 8) | header[4]!;
          continue;
        }
        const k = Math.min(left, chunk.length - pos);
        pieces.push(pos, pos + k);
        left -= k;
        pos += k;
      }
      return null;
    },
    push(chunk) {
      const pieces: number[] = [];
      const error = this.pushEach(chunk, pieces);
      const payload: Uint8Array[] = [];
      for (let i = 0; i < pieces.length; i += 2) payload.push(chunk.subarray(pieces[i]!, pieces[i + 1]!));
      return error ? { kind: "error", payload, error } : { kind: "ok", payload };
    },
  };
}

/** An application-data record header: 17 03 03 and the length. */
export const TLS_RECORD_HEADER_BYTES = 5;

/** Writes the 17 03 03 header of a `len`-byte record at out[off, off + 5). */
export function writeTlsRecordHeader(out: Uint8Array, off: number, len: number): void {
  out[off] = 0x17;
  out[off + 1] = 0x03;
  out[off + 2] = 0x03;
  out[off + 3] = len >>> 8;
  out[off + 4] = len & 0xff;
}

/** Cuts `data` into 17 03 03 records of at most `maxPayload` bytes, in one buffer. */
export function encodeTlsRecords(data: Uint8Array, maxPayload: number): Buffer {
  const n = Math.ceil(data.length / maxPayload);
  const out = Buffer.allocUnsafe(data.length + TLS_RECORD_HEADER_BYTES * n);
  let o = 0;
  for (let i = 0; i < data.length; i += maxPayload) {
    const len = Math.min(maxPayload, data.length - i);
    writeTlsRecordHeader(out, o, len);
    out.set(data.subarray(i, i + len), o + TLS_RECORD_HEADER_BYTES);
    o += TLS_RECORD_HEADER_BYTES + len;
  }
  return out;
}

/** Client side: CCS, then one record with the 64-byte init and the first (encrypted) bytes. */
export function encodeClientFirstFlight(init: Uint8Array, firstBytes: Uint8Array): Buffer {
  const recordLen = init.length + firstBytes.length;
  if (recordLen > 0xffff) throw new RangeError("first TLS record too long");
  return Buffer.concat([FIRST_FLIGHT_PREFIX, Uint8Array.of(recordLen >>> 8, recordLen & 0xff), init, firstBytes]);
}
