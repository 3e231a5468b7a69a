// Proxy→client framing per transport: an answer's header written in front of it (packetInto, or
// writeHeader into the bytes before it), quick acks as parts; the client stack seals one event's
// frames into one write (BUN-NOTES: one write per event).
// Mirrors net-tcp-rpc-common.c: tcp_rpc_write_packet_compact and mtproto-proxy.c: push_rpc_confirmation
// (client-side.md §3.6, §3.8).

import type { RandomSource } from "../crypto/random.ts";
import { ABRIDGED_SHORT_MAX, abridgedQuickAck, writeAbridgedHeader } from "./abridged.ts";
import { intermediateHeader, intermediateQuickAck, writeIntermediateHeader } from "./intermediate.ts";
import type { ClientTransport } from "./codec.ts";
import { copyBytes } from "../io/le.ts";

export interface FrameEncoder {
  /** Appends the quick ack for RPC_SIMPLE_ACK `confirm` (token as the u32 the backend sent). */
  quickAck(token: number, out: Uint8Array[]): void;
  /**
   * Size of the header before a `length`-byte answer when nothing follows the payload,
   * so the header can be written into the bytes in front of it (writeHeader); 0 for padded, whose
   * frame ends in random bytes.
   */
  inPlaceHeaderBytes(length: number): number;
  /** Writes the header of a `length`-byte answer at out[off, off + inPlaceHeaderBytes(length)). */
  writeHeader(length: number, out: Uint8Array, off: number): void;
  /**
   * One answer frame for bytes[start, end) (a multiple of 4 bytes, as the middle end guarantees), as
   * one new buffer after `room` free bytes at its front (where the TLS record header goes).
   */
  packetInto(bytes: Uint8Array, start: number, end: number, room: number): Uint8Array;
}

/** A buffer for `room` free bytes, an `h`-byte header (the caller writes it at `room`), the payload
 * bytes[start, end) (copied here) and `tail` more bytes. */
function frameInto(bytes: Uint8Array, start: number, end: number, room: number, h: number, tail: number): Buffer {
  const out = Buffer.allocUnsafe(room + h + (end - start) + tail);
  copyBytes(bytes, start, end, out, room + h);
  return out;
}

const MINUS_ONE = Uint8Array.of(0xff, 0xff, 0xff, 0xff);
const ZERO_WORD = new Uint8Array(4);

/** The encoder for `transport`: abridged and intermediate ones hold no state and are shared by every
 * client; a padded one holds its random source (no closures per client either way). */
export function createFrameEncoder(transport: ClientTransport, random: RandomSource): FrameEncoder {
  if (transport === "abridged") return ABRIDGED;
  if (transport === "intermediate") return INTERMEDIATE;
  return new PaddedEncoder(random);
}

const ABRIDGED: FrameEncoder = {
  quickAck(token, out) {
    out.push(abridgedQuickAck(token));
  },
  inPlaceHeaderBytes(length) {
    return length <= ABRIDGED_SHORT_MAX ? 1 : 4;
  },
  packetInto(bytes, start, end, room) {
    const length = end - start;
    const out = frameInto(bytes, start, end, room, length <= ABRIDGED_SHORT_MAX ? 1 : 4, 0);
    writeAbridgedHeader(length, out, room);
    return out;
  },
  writeHeader(length, out, off) {
    writeAbridgedHeader(length, out, off);
  },
};

const INTERMEDIATE: FrameEncoder = {
  quickAck(token, out) {
    out.push(intermediateQuickAck(token));
  },
  inPlaceHeaderBytes() {
    return 4;
  },
  packetInto(bytes, start, end, room) {
    const length = end - start;
    checkIntermediateLength(length);
    const out = frameInto(bytes, start, end, room, 4, 0);
    writeIntermediateHeader(length, out, room);
    return out;
  },
  writeHeader(length, out, off) {
    checkIntermediateLength(length);
    writeIntermediateHeader(length, out, off);
  },
};

/** An intermediate answer must be whole words (the middle end's always are). */
function checkIntermediateLength(length: number): void {
  if (length % 4 !== 0) throw new RangeError(`intermediate answer length ${length} is not a multiple of 4`);
}

/** Padded: 0..3 random trailing bytes counted in the length (lrand48() & 3 in C, not 0..15). */
class PaddedEncoder implements FrameEncoder {
  readonly #random: RandomSource;

  constructor(random: RandomSource) {
    this.#random = random;
  }

  inPlaceHeaderBytes(): number {
    return 0;
  }

  packetInto(bytes: Uint8Array, start: number, end: number, room: number): Uint8Array {
    const length = end - start;
    const r = this.#random.int(4);
    const out = frameInto(bytes, start, end, room, 4, r);
    writeIntermediateHeader(length + r, out, room);
    if (r > 0) this.#random.fill(out, room + 4 + length, room + 4 + length + r);
    return out;
  }

  writeHeader(): void {
    throw new Error("padded frames are not written in place");
  }

  quickAck(token: number, out: Uint8Array[]): void {
    // Half the time the raw 4 bytes, otherwise two frames: [-1][token] then [0] (§3.8).
    if (this.#random.int(2) === 1) {
      out.push(intermediateQuickAck(token));
      return;
    }
    this.#frame([MINUS_ONE, intermediateQuickAck(token), ...this.#maybeExtraWord()], out);
    this.#frame([ZERO_WORD, ...this.#maybeExtraWord()], out);
  }

  #frame(parts: Uint8Array[], out: Uint8Array[]): void {
    let len = 0;
    for (const p of parts) len += p.length;
    const r = this.#random.int(4);
    out.push(intermediateHeader(len + r), ...parts);
    if (r > 0) out.push(this.#random.bytes(r));
  }

  #maybeExtraWord(): Uint8Array[] {
    return this.#random.int(2) === 1 ? [this.#random.bytes(4)] : [];
  }
}
