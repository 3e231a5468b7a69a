// Abridged ("compact", tag 0xefefefef) frame headers, both directions (client-side.md §3.2, §3.6).
// Mirrors tcp_rpcs_compact_parse_execute (client→proxy) and tcp_rpc_write_packet_compact.
//
//   short: [b0]            b0 & 0x7f = words (1..0x7e), bit 7 = quick-ack request
//   long:  [7f|80 L0 L1 L2]  words = L0 + 256*L1 + 65536*L2, must be >= 0x7f
// Proxy→client quick ack: the 4 token bytes big-endian, no header (C byte-swaps the confirm).

import { MAX_PACKET_LEN, protocolError, type ProtocolError } from "./codec.ts";

/** Largest payload the 1-byte header carries: 0x7e words. */
export const ABRIDGED_SHORT_MAX = 0x7e * 4;

export type HeaderParse =
  | { readonly kind: "header"; readonly headerBytes: number; readonly length: number; readonly quickAck: boolean }
  | { readonly kind: "error"; readonly error: ProtocolError };

/**
 * The data path's form of a parsed header, one number and no object: `headerBytes | quickAck << 3 |
 * length << 4` when valid (length ≤ MAX_PACKET_LEN, so it fits), a negative HEADER_* code otherwise.
 */
export type HeaderWord = number;
export const HEADER_OVERLONG = -1;
export const HEADER_BAD_LENGTH = -2;
export const HEADER_TOO_LONG = -3;

export function packHeader(headerBytes: number, length: number, quickAck: boolean): HeaderWord {
  return headerBytes | (quickAck ? 8 : 0) | (length << 4);
}

/** A HeaderWord as the HeaderParse the tests and the handshake path read. */
export function unpackHeader(w: HeaderWord, error: () => ProtocolError): HeaderParse {
  if (w < 0) return { kind: "error", error: error() };
  return { kind: "header", headerBytes: w & 7, length: w >>> 4, quickAck: (w & 8) !== 0 };
}

/** The header from its first 4 bytes as a LE u32 (C reads 4 bytes even for the 1-byte form). */
export function abridgedHeaderWord(first4: number): HeaderWord {
  const quickAck = (first4 & 0x80) !== 0;
  const v = first4 & ~0x80;
  let words: number;
  let headerBytes: number;
  if ((v & 0xff) === 0x7f) {
    words = v >>> 8;
    if (words < 0x7f) return HEADER_OVERLONG;
    headerBytes = 4;
  } else {
    words = v & 0x7f;
    headerBytes = 1;
  }
  const length = words * 4;
  if (length === 0) return HEADER_BAD_LENGTH;
  if (length > MAX_PACKET_LEN) return HEADER_TOO_LONG;
  return packHeader(headerBytes, length, quickAck);
}

export function parseAbridgedHeader(first4: number): HeaderParse {
  const w = abridgedHeaderWord(first4);
  return unpackHeader(w, () => {
    const words = (first4 & ~0x80) >>> 8;
    if (w === HEADER_OVERLONG) return protocolError("overlong-abridged", `length ${words} words in overlong encoding`);
    if (w === HEADER_BAD_LENGTH) return protocolError("bad-length", "zero packet length");
    return protocolError("too-long", `packet length ${words * 4}`);
  });
}

/** Frame header for a payload of `length` bytes (a multiple of 4). Proxy→client never sets quickAck. */
export function abridgedHeader(length: number, quickAck = false): Uint8Array {
  const out = new Uint8Array(length <= ABRIDGED_SHORT_MAX ? 1 : 4);
  writeAbridgedHeader(length, out, 0, quickAck);
  return out;
}

/**
 * abridgedHeader written at out[off]: 1 byte up to ABRIDGED_SHORT_MAX, else 4. An empty answer gets
 * the header 00, as tcp_rpc_write_packet_compact writes it (a middle end may send one; throwing
 * here would close the whole middle-end link with every client on it).
 */
export function writeAbridgedHeader(length: number, out: Uint8Array, off: number, quickAck = false): void {
  if (length % 4 !== 0 || length < 0) throw new RangeError(`abridged payload length ${length} is not a multiple of 4`);
  const words = length / 4;
  const qa = quickAck ? 0x80 : 0;
  if (words <= 0x7e) {
    out[off] = words | qa;
    return;
  }
  out[off] = 0x7f | qa;
  out[off + 1] = words & 0xff;
  out[off + 2] = (words >>> 8) & 0xff;
  out[off + 3] = (words >>> 16) & 0xff;
}

/** Proxy→client quick ack: the token big-endian. */
export function abridgedQuickAck(token: number): Uint8Array {
  return Uint8Array.of((token >>> 24) & 0xff, (token >>> 16) & 0xff, (token >>> 8) & 0xff, token & 0xff);
}
