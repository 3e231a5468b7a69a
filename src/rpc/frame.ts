// "TCP RPC packet" framing of the middle-end link (backend-rpc.md §2): [len][seqno][body][crc],
// CRC32 or CRC32C, padding words to 16-byte multiples per write batch. Mirrors tcp_rpc_write_packet,
// tcp_rpc_flush (net-tcp-rpc-common.c) and tcp_rpcc_parse_execute (net-tcp-rpc-client.c).
import { i32le, u32le } from "../io/le.ts";
import { crc32, crc32c } from "../crypto/crc.ts";
import { SEQ_NONCE } from "./constants.ts";

//  off 0   len    i32  = 12 + body length (multiple of 4)
//  off 4   seqno  i32  per direction, −2, −1, 0, 1, ...
//  off 8   body   len−12 bytes, starts with the u32 type
//  len−4   crc    u32  over bytes [0, len−4)
export const FRAME_OVERHEAD = 12;
export const PADDING_WORD = 4;

/** A body whose head is written straight into the frame (a PROXY_REQ head), then its payload. */
export interface HeadedBody {
  readonly headBytes: number;
  readonly payload: Uint8Array;
  /** Writes headBytes bytes at `off` of `out` (`dv` views all of `out`). */
  writeHead(out: Uint8Array, dv: DataView, off: number): void;
}

/** A body, whole, in parts, or head + payload (the client's payload is copied once, into the frame). */
export type FrameBody = Uint8Array | readonly Uint8Array[] | HeadedBody;

function bodyLength(body: FrameBody): number {
  if (body instanceof Uint8Array) return body.length;
  if (!Array.isArray(body)) return (body as HeadedBody).headBytes + (body as HeadedBody).payload.length;
  let n = 0;
  for (const p of body as readonly Uint8Array[]) n += p.length;
  return n;
}

/** Outbound framing state of one direction: the seqno counter and the negotiated checksum. */
export class FrameEncoder {
  seq = SEQ_NONCE;
  useCrc32c = false;
  /** Reused by transient encodes: a batch lives there only until it is encrypted in place and written. */
  #scratch: Buffer | null = null;

  /**
   * Frames `bodies` into one buffer with consecutive seqnos. With `pad`, appends padding words so
   * the whole batch is a multiple of 16 bytes (only while encryption is on: tcp_rpc_flush).
   * With `transient`, the result is a view into a buffer this encoder reuses: valid only until the
   * next encode (the caller encrypts it in place and hands it to WriteQueue.writeCopy).
   */
  encode(bodies: readonly FrameBody[], pad: boolean, transient = false): Uint8Array {
    let total = 0;
    for (const b of bodies) {
      const n = bodyLength(b);
      // tcp_rpc_conn_send asserts this: an unaligned body is our bug, not hostile input
      if (n & 3) throw new Error(`rpc body length ${n} is not a multiple of 4`);
      total += n + FRAME_OVERHEAD;
    }
    const padBytes = pad ? (16 - (total & 15)) & 15 : 0;
    const out = transient ? this.#scratchOf(total + padBytes) : Buffer.allocUnsafe(total + padBytes);
    const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
    let off = 0;
    for (const b of bodies) {
      const start = off;
      const n = bodyLength(b);
      view.setInt32(off, n + FRAME_OVERHEAD, true);
      view.setInt32(off + 4, this.seq++, true);
      off += 8;
      if (b instanceof Uint8Array) {
        out.set(b, off);
        off += b.length;
      } else if (!Array.isArray(b)) {
        const h = b as HeadedBody;
        h.writeHead(out, view, off);
        off += h.headBytes;
        out.set(h.payload, off);
        off += h.payload.length;
      } else {
        for (const p of b as readonly Uint8Array[]) {
          out.set(p, off);
          off += p.length;
        }
      }
      const region = out.subarray(start, off);
      view.setUint32(off, this.useCrc32c ? crc32c(region) : crc32(region), true);
      off += 4;
    }
    for (; off < out.length; off += 4) view.setInt32(off, PADDING_WORD, true);
    return out;
  }

  #scratchOf(n: number): Buffer {
    // one flush of a busy link is at most a few hundred KiB; a rare bigger one gets its own buffer
    if (n > SCRATCH_MAX) return Buffer.allocUnsafe(n);
    let s = this.#scratch;
    if (s === null || s.length < n) {
      s = Buffer.allocUnsafe(Math.min(SCRATCH_MAX, Math.max(n, (s?.length ?? 0) * 2, 1 << 16)));
      this.#scratch = s;
    }
    return s.subarray(0, n);
  }
}

const SCRATCH_MAX = 1 << 20;

export type FrameResult =
  | { kind: "packet"; seq: number; body: Uint8Array }
  | { kind: "need-more" }
  /** `code` is the fail_connection code C uses for the same fault. */
  | { kind: "error"; code: number; reason: string };

const NEED_MORE: FrameResult = { kind: "need-more" };

/**
 * Incremental inbound framing of one direction. Pull API: `push` bytes, then call `next` until
 * it says need-more, so the caller can switch the checksum between two packets of one chunk
 * (the handshake reply is CRC32, the packet right after it may be CRC32C).
 */
export class FrameDecoder {
  expectedSeq = SEQ_NONCE;
  useCrc32c = false;
  paddingWords = 0;
  #chunks: Uint8Array[] = [];
  #head = 0; // read offset into #chunks[0]
  #total = 0;
  #error: FrameResult | null = null;
  readonly #maxPacketLen: number;

  /** `maxPacketLen` 0 means no limit, as the C proxy has towards the ME. */
  constructor(maxPacketLen = 0) {
    this.#maxPacketLen = maxPacketLen;
  }

  get bufferedBytes(): number {
    return this.#total;
  }

  /** The chunk now belongs to the decoder; it may keep views into it. */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0 || this.#error) return;
    this.#chunks.push(chunk);
    this.#total += chunk.length;
  }

  next(): FrameResult {
    if (this.#error) return this.#error;
    for (;;) {
      if (this.#total < 4) return NEED_MORE;
      const len = this.#peekInt32();
      if (len === PADDING_WORD) {
        this.#skip(4);
        this.paddingWords++;
        continue;
      }
      if (len <= 0 || len & 3 || (this.#maxPacketLen > 0 && len > this.#maxPacketLen)) {
        return this.#fail(-1, `bad packet length ${len}`);
      }
      if (len < 16) return this.#fail(-2, `bad packet length ${len}`);
      if (this.#total < len) return NEED_MORE;
      const pkt = this.#take(len);
      const head = pkt.subarray(0, len - 4);
      const want = u32le(pkt, len - 4);
      const got = this.useCrc32c ? crc32c(head) : crc32(head);
      if (want !== got) return this.#fail(-3, `crc mismatch: ${hex32(got)} != ${hex32(want)}`);
      const seq = i32le(pkt, 4);
      if (seq !== this.expectedSeq) return this.#fail(-4, `got packet num ${seq}, expected ${this.expectedSeq}`);
      this.expectedSeq++;
      return { kind: "packet", seq, body: pkt.subarray(8, len - 4) };
    }
  }

  #fail(code: number, reason: string): FrameResult {
    this.#error = { kind: "error", code, reason };
    this.#chunks = [];
    this.#total = 0;
    return this.#error;
  }

  #peekInt32(): number {
    const c = this.#chunks[0]!;
    if (c.length - this.#head >= 4) {
      return (c[this.#head]! | (c[this.#head + 1]! << 8) | (c[this.#head + 2]! << 16) | (c[this.#head + 3]! << 24)) | 0;
    }
    const b = this.#copyOut(4, false);
    return (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) | 0;
  }

  #skip(n: number): void {
    this.#copyOut(n, true);
  }

  /** Removes n bytes: a view when they sit in one chunk, else one copy. */
  #take(n: number): Uint8Array {
    const c = this.#chunks[0]!;
    if (c.length - this.#head >= n) {
      const v = c.subarray(this.#head, this.#head + n);
      this.#advance(n);
      return v;
    }
    return this.#copyOut(n, true);
  }

  #advance(n: number): void {
    this.#total -= n;
    this.#head += n;
    while (this.#chunks.length > 0 && this.#head >= this.#chunks[0]!.length) {
      this.#head -= this.#chunks[0]!.length;
      this.#chunks.shift();
    }
  }

  #copyOut(n: number, consume: boolean): Uint8Array {
    const out = new Uint8Array(n);
    let off = 0;
    let i = 0;
    let pos = this.#head;
    while (off < n) {
      const c = this.#chunks[i]!;
      const k = Math.min(n - off, c.length - pos);
      out.set(c.subarray(pos, pos + k), off);
      off += k;
      pos = 0;
      i++;
    }
    if (consume) this.#advance(n);
    return out;
  }
}

function hex32(v: number): string {
  return (v >>> 0).toString(16).padStart(8, "0");
}
