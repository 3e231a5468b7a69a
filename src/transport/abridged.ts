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

/** Parses the header from its first 4 bytes as a LE u32 (C reads 4 bytes even for the 1-byte form). */
export function parseAbridgedHeader(first4: number): HeaderParse {
  const quickAck = (first4 & 0x80) !== 0;
  const v = first4 & ~0x80;
  let words: number;
  let headerBytes: number;
  if ((v & 0xff) === 0x7f) {
    words = v >>> 8;
    if (words < 0x7f) return { kind: "error", error: protocolError("overlong-abridged", `length ${words} words in overlong encoding`) };
    headerBytes = 4;
  } else {
    words = v & 0x7f;
    headerBytes = 1;
  }
  const length = words * 4;
  if (length === 0) return { kind: "error", error: protocolError("bad-length", "zero packet length") };
  if (length > MAX_PACKET_LEN) return { kind: "error", error: protocolError("too-long", `packet length ${length}`) };
  return { kind: "header", headerBytes, length, quickAck };
}

/** Frame header for a payload of `length` bytes (a multiple of 4). Proxy→client never sets quickAck. */
export function abridgedHeader(length: number, quickAck = false): Uint8Array {
  if (length % 4 !== 0 || length <= 0) throw new RangeError(`abridged payload length ${length} is not a positive multiple of 4`);
  const words = length / 4;
  const qa = quickAck ? 0x80 : 0;
  if (words <= 0x7e) return Uint8Array.of(words | qa);
  return Uint8Array.of(0x7f | qa, words & 0xff, (words >>> 8) & 0xff, (words >>> 16) & 0xff);
}

/** Proxy→client quick ack: the token big-endian. */
export function abridgedQuickAck(token: number): Uint8Array {
  return Uint8Array.of((token >>> 24) & 0xff, (token >>> 16) & 0xff, (token >>> 8) & 0xff, token & 0xff);
}
