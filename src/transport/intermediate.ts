// Intermediate ("medium", tag 0xeeeeeeee) and padded intermediate (0xdddddddd) frame headers
// (client-side.md §3.3, §3.4, §3.6). Mirrors tcp_rpcs_compact_parse_execute / tcp_rpc_write_packet_compact.
//
//   [u32 LE v][payload (v & 0x7fffffff bytes)]   bit 31 = quick-ack request, bit 30 must be 0
// Padded: any length >= 1, the proxy keeps the first (len & ~3) bytes. Proxy→client quick ack:
// the 4 token bytes little-endian, no header.

import { MAX_PACKET_LEN, protocolError } from "./codec.ts";
import { HEADER_BAD_LENGTH, HEADER_TOO_LONG, packHeader, unpackHeader, type HeaderParse, type HeaderWord } from "./abridged.ts";

const QUICK_ACK_BIT = 0x80000000;

/** The header as a HeaderWord (abridged.ts): no object on the data path. */
export function intermediateHeaderWord(first4: number, padded: boolean): HeaderWord {
  const quickAck = (first4 & QUICK_ACK_BIT) !== 0;
  const length = first4 & 0x7fffffff;
  if (length === 0 || (length & 0x40000000) !== 0 || (!padded && (length & 3) !== 0)) return HEADER_BAD_LENGTH;
  if (length > MAX_PACKET_LEN) return HEADER_TOO_LONG;
  // C: a padded length of 1..3 truncates the payload to nothing and then aborts the process on an
  // assertion; we close the connection instead (§3.4).
  if (padded && length < 4) return HEADER_BAD_LENGTH;
  return packHeader(4, length, quickAck);
}

export function parseIntermediateHeader(first4: number, padded: boolean): HeaderParse {
  const w = intermediateHeaderWord(first4, padded);
  return unpackHeader(w, () => {
    const length = first4 & 0x7fffffff;
    if (w === HEADER_TOO_LONG) return protocolError("too-long", `packet length ${length}`);
    return protocolError("bad-length", padded && length > 0 && length < 4 ? `padded packet length ${length}` : `bad packet length ${length}`);
  });
}

export function intermediateHeader(length: number, quickAck = false): Uint8Array {
  const out = new Uint8Array(4);
  writeIntermediateHeader(length, out, 0, quickAck);
  return out;
}

/** intermediateHeader written at out[off, off + 4); the answer length must be a multiple of 4. */
export function writeIntermediateHeader(length: number, out: Uint8Array, off: number, quickAck = false): void {
  const v = (length | (quickAck ? QUICK_ACK_BIT : 0)) >>> 0;
  out[off] = v & 0xff;
  out[off + 1] = (v >>> 8) & 0xff;
  out[off + 2] = (v >>> 16) & 0xff;
  out[off + 3] = v >>> 24;
}

/** Proxy→client quick ack for intermediate and (raw form) padded clients: the token little-endian. */
export function intermediateQuickAck(token: number): Uint8Array {
  return Uint8Array.of(token & 0xff, (token >>> 8) & 0xff, (token >>> 16) & 0xff, (token >>> 24) & 0xff);
}
