// "TCP RPC packet" framing of the middle-end link (backend-rpc.md §2): [len][seqno][body][crc],
// CRC32 or CRC32C, padding words to 16-byte multiples per write batch. Mirrors tcp_rpc_write_packet,
// tcp_rpc_flush (net-tcp-rpc-common.c) and tcp_rpcc_parse_execute (net-tcp-rpc-client.c).
import { i32le, u32le } from "../io/le.ts";
import { crc32, crc32cRange } from "../crypto/crc.ts";
import { SEQ_NONCE } from "./constants.ts";

//  off 0   len    i32  = 12 + body length (multiple of 4)
//  off 4   seqno  i32  per direction, −2, −1, 0, 1, ...
//  off 8   body   len−12 bytes, starts with the u32 type
//  len−4   crc    u32  over bytes [0, len−4)
export const FRAME_OVERHEAD = 12;
export const PADDING_WORD = 4;

/** A body, whole or in parts (the link writes RPC_PROXY_REQ straight in with beginFrame/endFrame). */
export type FrameBody = Uint8Array | readonly Uint8Array[];

function bodyLength(body: FrameBody): number {
  if (body instanceof Uint8Array) return body.length;
  let n = 0;
  for (const p of body) n += p.length;
  return n;
}

/**
 * Outbound framing state of one direction: the seqno counter, the negotiated checksum, and the
 * batch of frames written since the last take(). A frame is written whole when it is queued, with
 * the seqno and checksum of that moment, as tcp_rpc_write_packet does; take() pads the batch (while
 * encryption is on: tcp_rpc_flush) and hands it over for one encryption and one write.
 */
export class FrameEncoder {
  seq = SEQ_NONCE;
  useCrc32c = false;
  /** The batch buffer, reused from batch to batch; its first `#length` bytes are frames. */
  #buf: Buffer = EMPTY_BUFFER;
  #view: DataView = new DataView(EMPTY_BUFFER.buffer);
  #length = 0;
  #frameStart = 0;

  /** Bytes of frames waiting for take(). */
  get pendingBytes(): number {
    return this.#length;
  }

  /**
   * Starts a frame whose body is `bodyBytes` long (a multiple of 4) and returns the offset of the
   * body in `buffer`, which the caller fills (read `buffer` after this call: it may grow it), then
   * calls endFrame().
   */
  beginFrame(bodyBytes: number): number {
    // tcp_rpc_conn_send asserts this: an unaligned body is our bug, not hostile input
    if (bodyBytes & 3) throw new Error(`rpc body length ${bodyBytes} is not a multiple of 4`);
    const start = this.#length;
    this.#reserve(start + bodyBytes + FRAME_OVERHEAD + 12); // + the largest padding
    this.#view.setInt32(start, bodyBytes + FRAME_OVERHEAD, true);
    this.#view.setInt32(start + 4, this.seq++, true);
    this.#frameStart = start;
    this.#length = start + 8 + bodyBytes;
    return start + 8;
  }

  get buffer(): Buffer {
    return this.#buf;
  }

  /** Seals the frame beginFrame() started: its checksum. */
  endFrame(): void {
    const b = this.#buf;
    const crc = this.useCrc32c ? crc32cRange(b, this.#frameStart, this.#length) : crc32(b.subarray(this.#frameStart, this.#length));
    this.#view.setUint32(this.#length, crc, true);
    this.#length += 4;
  }

  /** Queues one whole frame around `body`. */
  append(body: FrameBody): void {
    const off = this.beginFrame(bodyLength(body));
    const out = this.#buf;
    if (body instanceof Uint8Array) out.set(body, off);
    else {
      let at = off;
      for (const p of body) {
        out.set(p, at);
        at += p.length;
      }
    }
    this.endFrame();
  }

  /**
   * The queued frames, then (with `pad`) padding words up to a multiple of 16 bytes, as a view of
   * the reused buffer: valid until the next frame is queued (the caller encrypts it in place and
   * hands it to WriteQueue.writeCopy). Null when nothing is queued. Empties the batch.
   */
  take(pad: boolean): Uint8Array | null {
    let end = this.#length;
    if (end === 0) return null;
    if (pad) for (; end & 15; end += 4) this.#view.setInt32(end, PADDING_WORD, true);
    const out = this.#buf.subarray(0, end);
    this.#length = 0;
    // a rare huge batch does not pin its buffer: the next one starts small again
    if (this.#buf.length > SCRATCH_MAX) this.#setBuffer(EMPTY_BUFFER);
    return out;
  }

  /** Forgets the queued frames (the link closed); their seqnos stay spent. */
  discard(): void {
    this.#length = 0;
  }

  /**
   * Frames `bodies` into one buffer with consecutive seqnos, padded with `pad` (see take()). With
   * `transient`, the result is the reused buffer's view as take() returns it; otherwise a copy.
   */
  encode(bodies: readonly FrameBody[], pad: boolean, transient = false): Uint8Array {
    if (this.#length !== 0) throw new Error("encode() while frames are queued");
    for (const b of bodies) this.append(b);
    const out = this.take(pad) ?? new Uint8Array(0);
    return transient ? out : Buffer.from(out);
  }

  #reserve(n: number): void {
    if (n <= this.#buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(n, this.#buf.length * 2, SCRATCH_MIN));
    grown.set(this.#buf.subarray(0, this.#length));
    this.#setBuffer(grown);
  }

  #setBuffer(b: Buffer): void {
    this.#buf = b;
    this.#view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }
}

const EMPTY_BUFFER = Buffer.alloc(0);
const SCRATCH_MIN = 1 << 16;
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

  // The packet nextPacket() found last: its whole body is packetBytes[bodyStart, bodyEnd).
  /** Seqno of the last packet. */
  seq = 0;
  /** The buffer holding the last packet (a received chunk, or a copy when it straddled chunks). */
  packetBytes: Uint8Array = EMPTY;
  bodyStart = 0;
  bodyEnd = 0;

  /** The error that stopped the decoder, or null. */
  get error(): Extract<FrameResult, { kind: "error" }> | null {
    return this.#error as Extract<FrameResult, { kind: "error" }> | null;
  }

  /** The next packet as one result object (tests, handshake tools); the link uses nextPacket(). */
  next(): FrameResult {
    if (this.nextPacket()) return { kind: "packet", seq: this.seq, body: this.packetBytes.subarray(this.bodyStart, this.bodyEnd) };
    return this.#error ?? NEED_MORE;
  }

  /**
   * Finds the next packet without allocating a result: true when one is there (read `seq`,
   * `packetBytes`, `bodyStart`, `bodyEnd`), false when more bytes are needed or `error` is set.
   */
  nextPacket(): boolean {
    if (this.#error) return false;
    for (;;) {
      if (this.#total < 4) return false;
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
      if (this.#total < len) return false;
      let bytes = this.#chunks[0]!;
      let start = this.#head;
      if (bytes.length - start >= len) this.#advance(len);
      else {
        bytes = this.#copyOut(len, true);
        start = 0;
      }
      const crcAt = start + len - 4;
      const want = u32le(bytes, crcAt);
      const got = this.useCrc32c ? crc32cRange(bytes, start, crcAt) : crc32(bytes.subarray(start, crcAt));
      if (want !== got) return this.#fail(-3, `crc mismatch: ${hex32(got)} != ${hex32(want)}`);
      const seq = i32le(bytes, start + 4);
      if (seq !== this.expectedSeq) return this.#fail(-4, `got packet num ${seq}, expected ${this.expectedSeq}`);
      this.expectedSeq++;
      this.seq = seq;
      this.packetBytes = bytes;
      this.bodyStart = start + 8;
      this.bodyEnd = crcAt;
      return true;
    }
  }

  #fail(code: number, reason: string): false {
    this.#error = { kind: "error", code, reason };
    this.#chunks = [];
    this.#total = 0;
    return false;
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

const EMPTY = new Uint8Array(0);

function hex32(v: number): string {
  return (v >>> 0).toString(16).padStart(8, "0");
}
