import { describe, expect, test } from "bun:test";
import { crc32c, crc32cRange, crc32cTable, nativeCrc32c } from "../../src/crypto/crc.ts";
import { loadNativeCrc32c, zeroAppendTable } from "../../src/crypto/crc32c-native.ts";
import { seededRandom } from "../../src/crypto/random.ts";

describe("hardware CRC32C", () => {
  test("loads on x86-64 with SSE4.2 (this machine kind), so the middle-end link gets the fast path", async () => {
    const cpuinfo = process.arch === "x64" ? await Bun.file("/proc/cpuinfo").text().catch(() => "") : "";
    expect(nativeCrc32c() !== null).toBe(/\bsse4_2\b/.test(cpuinfo));
  });

  test("equals the table code for every length, alignment and chained start", () => {
    const r = seededRandom(42);
    const buf = new Uint8Array(r.bytes(70_000));
    for (let i = 0; i < 400; i++) {
      const off = r.int(16);
      const len = i < 100 ? i : r.int(65_000);
      const d = buf.subarray(off, off + len);
      const prev = (r.int(0x7fffffff) * 2 + (i & 1)) >>> 0; // the full u32 range
      expect(crc32c(d)).toBe(crc32cTable(d));
      expect(crc32c(d, prev)).toBe(crc32cTable(d, prev));
    }
  });

  test("a range of a buffer checks the same as a view of it, on both paths (frames are checked in place)", () => {
    const r = seededRandom(43);
    const buf = new Uint8Array(r.bytes(20_000));
    for (let i = 0; i < 300; i++) {
      const start = r.int(3000);
      const len = i < 150 ? 1 + i : 1 + r.int(16_000);
      const want = crc32cTable(buf.subarray(start, start + len));
      expect(crc32cRange(buf, start, start + len)).toBe(want);
      expect(crc32cTable(buf, 0, start, len)).toBe(want);
    }
  });

  test("the three-strand join: the zero-append table equals 256 zero bytes through the table code", () => {
    const t = zeroAppendTable();
    const zeros = new Uint8Array(256);
    const r = seededRandom(9);
    for (let i = 0; i < 50; i++) {
      const prev = (r.int(0x7fffffff) * 2 + (i & 1)) >>> 0;
      const raw = ~prev >>> 0; // the register the instruction holds
      const joined = (t[raw & 255]! ^ t[256 + ((raw >>> 8) & 255)]! ^ t[512 + ((raw >>> 16) & 255)]! ^ t[768 + (raw >>> 24)]!) >>> 0;
      expect(joined).toBe(~crc32cTable(zeros, prev) >>> 0);
    }
  });

  test("block edges of the three-strand loop (768 bytes) and whole frames of the middle-end link", () => {
    const buf = new Uint8Array(seededRandom(11).bytes(17_000));
    for (const len of [767, 768, 769, 775, 1535, 1536, 1537, 2304, 16_384 + 24, 16_999]) {
      for (const off of [0, 1, 5]) {
        const d = buf.subarray(off, off + len);
        expect(crc32c(d, 0xa5a5a5a5)).toBe(crc32cTable(d, 0xa5a5a5a5));
      }
    }
  });

  test("chaining two halves equals one pass (frame.ts checks bodies that span chunks this way)", () => {
    const d = new Uint8Array(seededRandom(7).bytes(5000));
    expect(crc32c(d.subarray(2500), crc32c(d.subarray(0, 2500)))).toBe(crc32c(d));
  });

  test("the known check value: CRC32C('123456789') = 0xe3069283", () => {
    const d = new Uint8Array(64 * 3);
    d.set(new TextEncoder().encode("123456789"));
    expect(crc32c(d.subarray(0, 9))).toBe(0xe3069283);
    // and a long input through the native path against the table code
    expect(crc32c(d)).toBe(crc32cTable(d));
  });

  test("MTPROXY_NATIVE_CRC32C=0 turns it off; a reference that disagrees makes the loader refuse", () => {
    expect(loadNativeCrc32c(crc32cTable, { MTPROXY_NATIVE_CRC32C: "0" })).toBeNull();
    expect(loadNativeCrc32c((d, c) => crc32cTable(d, c) ^ 1, {})).toBeNull();
  });
});
