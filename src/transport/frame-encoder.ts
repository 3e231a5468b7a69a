// Proxy→client framing: answers and quick acks per transport, appended as parts to an output
// list so one event's frames are encrypted and written together (BUN-NOTES: one write per event).
// Mirrors net-tcp-rpc-common.c: tcp_rpc_write_packet_compact and mtproto-proxy.c: push_rpc_confirmation
// (client-side.md §3.6, §3.8).

import type { RandomSource } from "../crypto/random.ts";
import { abridgedHeader, abridgedQuickAck } from "./abridged.ts";
import { intermediateHeader, intermediateQuickAck } from "./intermediate.ts";
import type { ClientTransport } from "./codec.ts";

export interface FrameEncoder {
  /** Appends one answer frame (payload length a multiple of 4, as the middle-end guarantees). */
  packet(payload: Uint8Array, out: Uint8Array[]): void;
  /** Appends the quick ack for RPC_SIMPLE_ACK `confirm` (token as the u32 the backend sent). */
  quickAck(token: number, out: Uint8Array[]): void;
}

const MINUS_ONE = Uint8Array.of(0xff, 0xff, 0xff, 0xff);
const ZERO_WORD = new Uint8Array(4);

export function createFrameEncoder(transport: ClientTransport, random: RandomSource): FrameEncoder {
  if (transport === "abridged") {
    return {
      packet(payload, out) {
        out.push(abridgedHeader(payload.length), payload);
      },
      quickAck(token, out) {
        out.push(abridgedQuickAck(token));
      },
    };
  }
  if (transport === "intermediate") {
    return {
      packet(payload, out) {
        if (payload.length % 4 !== 0) throw new RangeError(`intermediate answer length ${payload.length} is not a multiple of 4`);
        out.push(intermediateHeader(payload.length), payload);
      },
      quickAck(token, out) {
        out.push(intermediateQuickAck(token));
      },
    };
  }
  // Padded: 0..3 random trailing bytes counted in the length (lrand48() & 3 in C, not 0..15).
  const paddedFrame = (parts: Uint8Array[], out: Uint8Array[]): void => {
    let len = 0;
    for (const p of parts) len += p.length;
    const r = random.int(4);
    out.push(intermediateHeader(len + r), ...parts);
    if (r > 0) out.push(random.bytes(r));
  };
  const maybeExtraWord = (): Uint8Array[] => (random.int(2) === 1 ? [random.bytes(4)] : []);
  return {
    packet(payload, out) {
      paddedFrame([payload], out);
    },
    quickAck(token, out) {
      // Half the time the raw 4 bytes, otherwise two frames: [-1][token] then [0] (§3.8).
      if (random.int(2) === 1) {
        out.push(intermediateQuickAck(token));
        return;
      }
      paddedFrame([MINUS_ONE, intermediateQuickAck(token), ...maybeExtraWord()], out);
      paddedFrame([ZERO_WORD, ...maybeExtraWord()], out);
    },
  };
}
