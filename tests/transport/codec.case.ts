// The shared suite every framing codec passes (STYLE.md "Tests"): encode→decode round trip, the same
// stream split at every byte boundary decodes identically, seeded garbage never throws, and input
// over the cap is the documented error.
import { describe, expect, test } from "bun:test";
import { seededRandom, type RandomSource } from "../../src/crypto/random.ts";

export type Item = { kind: "packet"; payload: string; quickAck?: boolean } | { kind: "quick-ack"; token: number };

export interface CodecUnderTest {
  readonly name: string;
  /** Frames `count` random items; returns the wire bytes and what a decoder must yield. */
  encode(rnd: RandomSource, count: number): { bytes: Uint8Array; items: Item[] };
  /** A fresh decoder; `push` returns the items so far and the error code, if any. */
  decoder(): { push(chunk: Uint8Array): { items: Item[]; error: string | null } };
  /** Input whose header declares more than the cap, and the error code expected. */
  overCap(): { bytes: Uint8Array; code: string };
}

function decodeAll(c: CodecUnderTest, chunks: Uint8Array[]): { items: Item[]; error: string | null } {
  const d = c.decoder();
  const items: Item[] = [];
  for (const ch of chunks) {
    const r = d.push(ch);
    items.push(...r.items);
    if (r.error) return { items, error: r.error };
  }
  return { items, error: null };
}

export function codecSuite(c: CodecUnderTest): void {
  describe(`codec suite: ${c.name}`, () => {
    test("encode → decode gives back the input", () => {
      const rnd = seededRandom(11);
      for (let round = 0; round < 20; round++) {
        const { bytes, items } = c.encode(rnd, 1 + rnd.int(6));
        expect(decodeAll(c, [bytes])).toEqual({ items, error: null });
      }
    });

    test("the same stream split at every byte boundary decodes the same", () => {
      const rnd = seededRandom(12);
      const { bytes, items } = c.encode(rnd, 5);
      for (let k = 0; k <= bytes.length; k++) {
        const got = decodeAll(c, [bytes.slice(0, k), bytes.slice(k)]);
        if (got.error !== null || got.items.length !== items.length) expect({ k, got }).toEqual({ k, got: { items, error: null } });
      }
      // and one byte at a time
      const single: Uint8Array[] = [];
      for (let i = 0; i < bytes.length; i++) single.push(bytes.slice(i, i + 1));
      expect(decodeAll(c, single)).toEqual({ items, error: null });
    });

    test("2,000 seeded garbage inputs never throw", () => {
      const rnd = seededRandom(13);
      for (let i = 0; i < 2000; i++) {
        const bytes = rnd.bytes(1 + rnd.int(300));
        const cut = rnd.int(bytes.length + 1);
        expect(() => decodeAll(c, [bytes.subarray(0, cut), bytes.subarray(cut)])).not.toThrow();
      }
    });

    test("a header over the cap is an error, not a wait", () => {
      const { bytes, code } = c.overCap();
      expect(decodeAll(c, [bytes]).error).toBe(code);
    });
  });
}

/** A random payload: a multiple of 4, at least 8 bytes (so C's min+8 rule never holds the last frame). */
export function randomPayload(rnd: RandomSource, max = 600): Uint8Array {
  return rnd.bytes(8 + 4 * rnd.int(max / 4));
}
