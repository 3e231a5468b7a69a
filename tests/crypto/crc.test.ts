import { describe, expect, test } from "bun:test";
import { crc32, crc32c } from "../../src/crypto/crc.ts";
import { seededRandom } from "../../src/crypto/random.ts";
import backend from "./vectors/backend-vectors.json";

const CHECK = new TextEncoder().encode("123456789");

// Bit-at-a-time reflected CRC: the textbook definition the table-driven code must match.
function bitwiseCrc(data: Uint8Array, poly: number): number {
  let c = ~0;
  for (let i = 0; i < data.length; i++) {
    c ^= data[i]!;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ poly : c >>> 1;
  }
  return ~c >>> 0;
}

describe("crc", () => {
  test("standard check values (backend-rpc.md §2.3, backend-vectors crc_selftest)", () => {
    const v = backend.crc_selftest;
    expect(crc32(CHECK).toString(16).padStart(8, "0")).toBe(v.crc32_expected);
    expect(crc32c(CHECK).toString(16).padStart(8, "0")).toBe(v.crc32c_expected);
    expect(crc32(new Uint8Array(0))).toBe(0);
    expect(crc32c(new Uint8Array(0))).toBe(0);
  });

  test("crc32c chains across pieces at every split point", () => {
    const data = Uint8Array.from({ length: 77 }, (_, i) => (i * 131 + 7) & 0xff);
    const whole = crc32c(data);
    for (let cut = 0; cut <= data.length; cut++) {
      expect(crc32c(data.subarray(cut), crc32c(data.subarray(0, cut)))).toBe(whole);
    }
  });

  test("1 MiB of random bytes: both match the bitwise reference, also at unaligned offsets", () => {
    const data = seededRandom(42).bytes(1 << 20);
    expect(crc32c(data)).toBe(bitwiseCrc(data, 0x82f63b78));
    expect(crc32(data)).toBe(bitwiseCrc(data, 0xedb88320));
    const odd = data.subarray(3, 3 + 1001);
    expect(crc32c(odd)).toBe(bitwiseCrc(odd, 0x82f63b78));
  });

  test("small-frame and bulk code paths agree around the switch-over, at every alignment", () => {
    const data = seededRandom(9).bytes(2100);
    for (let off = 0; off < 4; off++) {
      for (let len = 490; len <= 540; len++) {
        const d = data.subarray(off, off + len);
        expect(crc32c(d)).toBe(bitwiseCrc(d, 0x82f63b78));
      }
    }
    const whole = crc32c(data);
    for (let cut = 0; cut <= data.length; cut += 37) {
      expect(crc32c(data.subarray(cut), crc32c(data.subarray(0, cut)))).toBe(whole);
    }
  });

  // Every frame of the recorded exchange ends in the checksum of its bytes: CRC32 during the
  // handshake, CRC32C after both sides agreed on flag 0x800.
  test("frames of the middle-end exchange carry the right checksum", () => {
    let frames = 0;
    for (const s of backend.exchange_ipv4.steps) {
      const plain = Buffer.from("plaintext" in s && s.plaintext ? s.plaintext : s.wire, "hex");
      const castagnoli = s.what.includes("CRC32C");
      for (let off = 0; off < plain.length; ) {
        const len = plain.readUInt32LE(off);
        if (len === 4) {
          off += 4; // padding word
          continue;
        }
        const body = plain.subarray(off, off + len - 4);
        const sum = castagnoli ? crc32c(body) : crc32(body);
        expect(sum).toBe(plain.readUInt32LE(off + len - 4));
        off += len;
        frames++;
      }
    }
    expect(frames).toBeGreaterThanOrEqual(8);
  });
});
