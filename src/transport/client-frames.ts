// The opposite direction, as a Telegram client sees it: client→proxy frames (with the quick-ack
// bit and tdlib's 0..15 padding bytes) and a decoder for proxy→client frames and quick acks.
// Used by the test client and by direct mode (the proxy as a client of a DC). client-side.md §3, tdlib
// IntermediateTransport / AbridgedTransport / Transport::read.

import type { RandomSource } from "../crypto/random.ts";
import { abridgedHeader } from "./abridged.ts";
import { intermediateHeader } from "./intermediate.ts";
import { ChunkQueue } from "./chunk-queue.ts";
import { MAX_PACKET_LEN, protocolError, type ClientTransport, type ProtocolError } from "./codec.ts";

/** Appends one client→proxy frame. Padded frames get 0..15 random bytes (tdlib), counted in the length. */
export function encodeClientFrame(
  transport: ClientTransport,
  payload: Uint8Array,
  quickAck: boolean,
  random: RandomSource,
  out: Uint8Array[],
): void {
  if (transport === "abridged") {
    out.push(abridgedHeader(payload.length, quickAck), payload);
  } else if (transport === "intermediate") {
    out.push(intermediateHeader(payload.length, quickAck), payload);
  } else {
    const pad = random.int(16);
    out.push(intermediateHeader(payload.length + pad, quickAck), payload);
    if (pad > 0) out.push(random.bytes(pad));
  }
}

export type ServerEvent =
  | { readonly kind: "packet"; readonly payload: Uint8Array }
  | { readonly kind: "quick-ack"; readonly token: number };

export type ServerDecodeResult =
  | { readonly kind: "ok"; readonly events: ServerEvent[] }
  | { readonly kind: "error"; readonly events: ServerEvent[]; readonly error: ProtocolError };

export interface ServerFrameDecoder {
  push(chunk: Uint8Array): ServerDecodeResult;
  readonly bufferedBytes: number;
}

/** Decodes what the proxy sends to a client (already decrypted). */
export function createServerFrameDecoder(transport: ClientTransport): ServerFrameDecoder {
  const q = new ChunkQueue();
  const padded = transport === "padded";
  return {
    get bufferedBytes() {
      return q.length;
    },
    push(chunk) {
      q.push(chunk);
      const events: ServerEvent[] = [];
      for (;;) {
        if (transport === "abridged") {
          if (q.length < 1) break;
          const b0 = q.byteAt(0);
          if (b0 & 0x80) {
            if (q.length < 4) break;
            const t = q.take(4);
            events.push({ kind: "quick-ack", token: ((t[0]! << 24) | (t[1]! << 16) | (t[2]! << 8) | t[3]!) >>> 0 });
            continue;
          }
          let words = b0;
          let hdr = 1;
          if (b0 === 0x7f) {
            if (q.length < 4) break;
            words = q.u32le() >>> 8;
            hdr = 4;
          }
          if (words === 0) return { kind: "error", events, error: protocolError("bad-length", "zero length") };
          if (q.length < hdr + words * 4) break;
          q.skip(hdr);
          events.push({ kind: "packet", payload: q.take(words * 4) });
          continue;
        }
        if (q.length < 4) break;
        const v = q.u32le();
        if (v & 0x80000000) {
          q.skip(4);
          events.push({ kind: "quick-ack", token: v });
          continue;
        }
        if (v === 0 || v > MAX_PACKET_LEN || (!padded && (v & 3) !== 0)) {
          return { kind: "error", events, error: protocolError("bad-length", `bad length ${v}`) };
        }
        if (q.length < 4 + v) break;
        q.skip(4);
        const body = q.take(v);
        const payload = padded ? body.subarray(0, v & ~3) : body;
        // tdlib Transport::read: a padded payload under 16 bytes starting with -1 is a quick ack,
        // starting with 0 a no-op (the two-frame quick-ack form of §3.8).
        if (padded && payload.length >= 4 && payload.length < 16) {
          const w0 = (payload[0]! | (payload[1]! << 8) | (payload[2]! << 16) | (payload[3]! << 24)) >>> 0;
          if (w0 === 0xffffffff && payload.length >= 8) {
            const token = (payload[4]! | (payload[5]! << 8) | (payload[6]! << 16) | (payload[7]! << 24)) >>> 0;
            events.push({ kind: "quick-ack", token });
            continue;
          }
          if (w0 === 0) continue;
        }
        events.push({ kind: "packet", payload });
      }
      return { kind: "ok", events };
    },
  };
}
