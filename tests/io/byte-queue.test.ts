import { describe, expect, test } from "bun:test";
import { seededRandom } from "../../src/crypto/random.ts";
import { ByteQueue } from "../../src/io/byte-queue.ts";

const data = Buffer.from(Uint8Array.from({ length: 41 }, (_, i) => (i * 89 + 5) & 0xff));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

function queueOf(...chunks: Uint8Array[]): ByteQueue {
  const q = new ByteQueue();
  for (const c of chunks) q.push(c);
  return q;
}

describe("ByteQueue", () => {
  test("every read at every split of a stream into two chunks matches the flat bytes", () => {
    for (let cut = 0; cut <= data.length; cut++) {
      const chunks = [Buffer.from(data.subarray(0, cut)), Buffer.from(data.subarray(cut))];
      expect(queueOf(...chunks).length).toBe(data.length);
      for (let off = 0; off + 4 <= data.length; off++) {
        expect(queueOf(...chunks).readUInt32LE(off)).toBe(data.readUInt32LE(off));
        expect(queueOf(...chunks).byteAt(off)).toBe(data[off]!);
      }
      for (let n = 0; n <= data.length; n++) {
        const q = queueOf(...chunks);
        expect(toHex(q.peek(n))).toBe(toHex(data.subarray(0, n)));
        expect(toHex(q.consume(n))).toBe(toHex(data.subarray(0, n)));
        expect(q.length).toBe(data.length - n);
        // What is left reads the same, also across the border and after a merge.
        if (q.length >= 4) expect(q.readUInt32LE(q.length - 4)).toBe(data.readUInt32LE(data.length - 4));
        expect(toHex(q.consumeAll())).toBe(toHex(data.subarray(n)));
        expect(q.length).toBe(0);
      }
    }
  });

  test("a u32 spread over four one-byte chunks is read in place", () => {
    const q = queueOf(Uint8Array.of(0x78), Uint8Array.of(0x56), Uint8Array.of(0x34), Uint8Array.of(0x12), Uint8Array.of(0xff));
    expect(q.readUInt32LE(0)).toBe(0x12345678);
    expect(q.readUInt32LE(1)).toBe(0xff123456);
    expect(q.length).toBe(5);
  });

  test("reads inside one chunk are views, not copies (the common case)", () => {
    const chunk = Buffer.from(data);
    const q = queueOf(chunk);
    const a = q.consume(10);
    const b = q.peek(8);
    expect(a.buffer).toBe(chunk.buffer);
    expect(a.byteOffset).toBe(chunk.byteOffset);
    expect(b.byteOffset).toBe(chunk.byteOffset + 10);
    // A plain Uint8Array chunk is wrapped, not copied.
    const raw = new Uint8Array(data);
    const q2 = queueOf(raw);
    expect(q2.consume(5).buffer).toBe(raw.buffer);
  });

  test("a spanning peek merges once: a second peek and the consume return the same bytes object", () => {
    const q = queueOf(data.subarray(0, 3), data.subarray(3, 7), data.subarray(7));
    const p1 = q.peek(12);
    const p2 = q.peek(12);
    expect(p2.buffer).toBe(p1.buffer);
    expect(q.consume(12).buffer).toBe(p1.buffer);
    expect(toHex(q.consumeAll())).toBe(toHex(data.subarray(12)));
  });

  test("the queue never writes into pushed chunks, so earlier views stay valid", () => {
    const c1 = Buffer.from(data.subarray(0, 20));
    const c2 = Buffer.from(data.subarray(20));
    const q = queueOf(c1, c2);
    const view = q.consume(5);
    q.peek(30);
    q.skip(30);
    expect(toHex(view)).toBe(toHex(data.subarray(0, 5)));
    expect(toHex(c1)).toBe(toHex(data.subarray(0, 20)));
    expect(toHex(c2)).toBe(toHex(data.subarray(20)));
  });

  test("out-of-range requests are a RangeError (a caller bug), empty pushes are ignored", () => {
    const q = queueOf(data.subarray(0, 3), new Uint8Array(0));
    expect(q.length).toBe(3);
    expect(() => q.peek(4)).toThrow(RangeError);
    expect(() => q.consume(4)).toThrow(RangeError);
    expect(() => q.readUInt32LE(0)).toThrow(RangeError);
    expect(() => q.byteAt(3)).toThrow(RangeError);
    expect(() => q.skip(-1)).toThrow(RangeError);
    expect(q.peek(0).length).toBe(0);
    q.clear();
    expect(q.length).toBe(0);
  });

  test("random interleaving of pushes and reads agrees with a flat model (bounded: 20k ops)", () => {
    const rnd = seededRandom(7);
    const q = new ByteQueue();
    let model = Buffer.alloc(0);
    let produced = 0;
    for (let op = 0; op < 20_000; op++) {
      const kind = rnd.int(5);
      if (kind <= 1 || model.length === 0) {
        const c = rnd.bytes(rnd.int(40));
        produced += c.length;
        q.push(c);
        model = Buffer.concat([model, c]);
      } else if (kind === 2) {
        const n = rnd.int(model.length + 1);
        expect(toHex(q.consume(n))).toBe(toHex(model.subarray(0, n)));
        model = model.subarray(n);
      } else if (kind === 3 && model.length >= 4) {
        const off = rnd.int(model.length - 3);
        expect(q.readUInt32LE(off)).toBe(model.readUInt32LE(off));
      } else {
        const n = rnd.int(model.length + 1);
        expect(toHex(q.peek(n))).toBe(toHex(model.subarray(0, n)));
        const k = rnd.int(n + 1);
        q.skip(k);
        model = model.subarray(k);
      }
      expect(q.length).toBe(model.length);
    }
    expect(produced).toBeGreaterThan(100_000);
  });
});
