// Intermediate ("medium", tag 0xeeeeeeee) and padded intermediate (0xdddddddd) frame headers
// (client-side.md §3.3, §3.4, §3.6). Mirrors tcp_rpcs_compact_parse_execute / tcp_rpc_write_packet_compact.
//
//   [u32 LE v][payload (v & 0x7fffffff bytes)]   bit 31 = quick-ack request, bit 30 must be 0
// Padded: any length >= 1, the proxy keeps the first (len & ~3) bytes. Proxy→client quick ack:
// the 4 token bytes little-endian, no header.

import { MAX_PACKET_LEN, protocolError } from "./codec.ts";
import type { HeaderParse } from "./abridged.ts";

const QUICK_ACK_BIT = 0x80000000;

export function parseIntermediateHeader(first4: number, padded: boolean): HeaderParse {
  const quickAck = (first4 & QUICK_ACK_BIT) !== 0;
  const length = first4 & 0x7fffffff;
  if (length === 0 || (length & 0x40000000) !== 0 || (!padded && (length & 3) !== 0)) {
    return { kind: "error", error: protocolError("bad-length", `bad packet length ${length}`) };
  }
  if (length > MAX_PACKET_LEN) return { kind: "error", error: protocolError("too-long", `packet length ${length}`) };
  // C: a padded length of 1..3 truncates the payload to nothing and then aborts the process on an
  // assertion; we close the connection instead (§3.4).
  if (padded && length < 4) return { kind: "error", error: protocolError("bad-length", `padded packet length ${length}`) };
  return { kind: "header", headerBytes: 4, length, quickAck };
}

export function intermediateHeader(length: number, quickAck = false): Uint8Array {
  const v = (length | (quickAck ? QUICK_ACK_BIT : 0)) >>> 0;
  return Uint8Array.of(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24);
}

/** Proxy→client quick ack for intermediate and (raw form) padded clients: the token little-endian. */
export function intermediateQuickAck(token: number): Uint8Array {
  return Uint8Array.of(token & 0xff, (token >>> 8) & 0xff, (token >>> 16) & 0xff, (token >>> 24) & 0xff);
}
