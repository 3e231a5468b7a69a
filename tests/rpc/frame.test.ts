// Frame codec: split at every byte, padding words, C's length/CRC/seqno rules, garbage never throws.
import { describe, expect, test } from "bun:test";
import { seededRandom } from "../../src/crypto/random.ts";
import { FrameDecoder, FrameEncoder, type FrameResult } from "../../src/rpc/frame.ts";

function drain(d: FrameDecoder): FrameResult[] {
  const out: FrameResult[] = [];
  for (let i = 0; i < 10_000; i++) {
    const r = d.next();
    out.push(r);
    if (r.kind !== "packet") break;
  }
  return out;
}

function stream(): { bytes: Uint8Array; bodies: Uint8Array[] } {
  const enc = new FrameEncoder();
  enc.seq = 0;
  const rnd = seededRandom(7);
  const bodies = [4, 8, 100, 4, 1024, 32].map((n) => rnd.bytes(n));
  // two batches: padding after each batch only
  const a = enc.encode(bodies.slice(0, 3), true);
  enc.useCrc32c = false;
  const b = enc.encode(bodies.slice(3), true);
  return { bytes: Buffer.concat([a, b]), bodies };
}

describe("FrameEncoder", () => {
  test("pads a batch to a multiple of 16 with padding words only at the end", () => {
    const enc = new FrameEncoder();
    const one = enc.encode([new Uint8Array(12)], true); // 24 bytes + 2 words
    expect(one.length).toBe(32);
    expect(Buffer.from(one.subarray(24)).toString("hex")).toBe("0400000004000000");
    const two = enc.encode([new Uint8Array(4), new Uint8Array(4)], true); // 16 + 16, no padding
    expect(two.length).toBe(32);
    expect(enc.encode([new Uint8Array(4)], false).length).toBe(16);
    expect(enc.seq).toBe(-2 + 4);
  });

  test("a frame is sealed when it is queued (its seqno and checksum of that moment); take() pads the batch once", () => {
    const enc = new FrameEncoder();
    enc.append(new Uint8Array(8).fill(1)); // seq -2, CRC32
    enc.useCrc32c = true;
    const off = enc.beginFrame(4); // seq -1, CRC32C, body written in place
    enc.buffer.set([9, 9, 9, 9], off);
    enc.endFrame();
    expect(enc.pendingBytes).toBe(20 + 16);
    const batch = Buffer.from(enc.take(true)!);
    expect(batch.length).toBe(48); // 36 + 3 padding words
    expect(enc.take(true)).toBeNull();
    const d = new FrameDecoder();
    d.push(batch.subarray(0, 20));
    expect(d.next()).toMatchObject({ kind: "packet", seq: -2 });
    d.useCrc32c = true;
    d.push(batch.subarray(20));
    const second = d.next();
    expect(second).toMatchObject({ kind: "packet", seq: -1 });
    expect(second.kind === "packet" && [...second.body]).toEqual([9, 9, 9, 9]);
    expect(d.next().kind).toBe("need-more");
    expect(d.paddingWords).toBe(3);
  });

  test("discard() forgets the queued frames but not their seqnos; a batch bigger than 1 MiB is not kept", () => {
    const enc = new FrameEncoder();
    enc.append(new Uint8Array(4));
    enc.discard();
    expect(enc.pendingBytes).toBe(0);
    expect(enc.seq).toBe(-1);
    enc.append(new Uint8Array(2 << 20));
    const big = enc.take(false)!;
    expect(big.length).toBe((2 << 20) + 12);
    enc.append(new Uint8Array(4));
    expect(enc.buffer.length).toBeLessThan(1 << 20); // started over small
    expect(big.buffer).not.toBe(enc.buffer.buffer);
  });

  test("refuses an unaligned body (an invariant of our own encoders)", () => {
    expect(() => new FrameEncoder().encode([new Uint8Array(5)], false)).toThrow();
  });
});

describe("FrameDecoder", () => {
  test("the same stream split at every byte boundary decodes the same way", () => {
    const { bytes, bodies } = stream();
    for (let cut = 0; cut <= bytes.length; cut++) {
      const d = new FrameDecoder();
      d.expectedSeq = 0;
      const got: Uint8Array[] = [];
      for (const part of [bytes.subarray(0, cut), bytes.subarray(cut)]) {
        d.push(part);
        for (const r of drain(d)) if (r.kind === "packet") got.push(Buffer.from(r.body));
      }
      expect(got.length).toBe(bodies.length);
      got.forEach((g, i) => expect(Buffer.compare(g, bodies[i]!)).toBe(0));
      expect(d.bufferedBytes).toBe(0);
    }
  });

  test("byte-by-byte feeding", () => {
    const { bytes, bodies } = stream();
    const d = new FrameDecoder();
    d.expectedSeq = 0;
    let n = 0;
    for (let i = 0; i < bytes.length; i++) {
      d.push(bytes.subarray(i, i + 1));
      for (const r of drain(d)) if (r.kind === "packet") n++;
    }
    expect(n).toBe(bodies.length);
  });

  test("length rules of tcp_rpcc_parse_execute", () => {
    const cases: [number, number][] = [
      [0, -1],
      [-16, -1],
      [18, -1],
      [8, -2],
      [12, -2],
    ];
    for (const [len, code] of cases) {
      const d = new FrameDecoder();
      const b = Buffer.alloc(4);
      b.writeInt32LE(len);
      d.push(b);
      expect(d.next()).toMatchObject({ kind: "error", code });
    }
    const capped = new FrameDecoder(64);
    const b = Buffer.alloc(4);
    b.writeInt32LE(68);
    capped.push(b);
    expect(capped.next()).toMatchObject({ kind: "error", code: -1 });
    // 16 is the smallest real packet, and a huge length only waits for more bytes
    const big = new FrameDecoder();
    const bb = Buffer.alloc(4);
    bb.writeInt32LE(0x7ffffffc);
    big.push(bb);
    expect(big.next().kind).toBe("need-more");
  });

  test("a CRC mismatch is −3, a seqno gap or repeat is −4, and the decoder stays failed", () => {
    const enc = new FrameEncoder();
    const pkt = Buffer.from(enc.encode([new Uint8Array(4)], false));
    pkt[9]! ^= 1;
    const d = new FrameDecoder();
    d.push(pkt);
    expect(d.next()).toMatchObject({ kind: "error", code: -3 });
    d.push(new FrameEncoder().encode([new Uint8Array(4)], false));
    expect(d.next()).toMatchObject({ kind: "error", code: -3 });

    const e2 = new FrameEncoder();
    e2.seq = 1;
    const d2 = new FrameDecoder();
    d2.expectedSeq = 0;
    d2.push(e2.encode([new Uint8Array(4)], false));
    expect(d2.next()).toMatchObject({ kind: "error", code: -4 });
  });

  test("CRC32C frames fail under CRC32 and pass once switched, between two packets of one chunk", () => {
    const enc = new FrameEncoder();
    enc.seq = -1;
    const a = enc.encode([new Uint8Array(32)], true);
    enc.useCrc32c = true;
    const b = enc.encode([new Uint8Array(16)], true);
    const d = new FrameDecoder();
    d.expectedSeq = -1;
    d.push(Buffer.concat([a, b]));
    expect(d.next()).toMatchObject({ kind: "packet", seq: -1 });
    d.useCrc32c = true;
    expect(d.next()).toMatchObject({ kind: "packet", seq: 0 });
  });

  test("random garbage never throws", () => {
    const rnd = seededRandom(42);
    for (let i = 0; i < 2000; i++) {
      const d = new FrameDecoder(1 << 20);
      d.expectedSeq = rnd.int(4) - 2;
      d.useCrc32c = rnd.int(2) === 1;
      const chunks = 1 + rnd.int(4);
      expect(() => {
        for (let c = 0; c < chunks; c++) {
          d.push(rnd.bytes(rnd.int(64)));
          drain(d);
        }
      }).not.toThrow();
    }
  });
});
