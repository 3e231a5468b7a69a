import { describe, expect, test } from "bun:test";
import { createCipheriv, createDecipheriv } from "node:crypto";
import { vaesCbcDecryptActive } from "../../src/crypto/aes.ts";
import { openVaesCbcDecrypt } from "../../src/crypto/aes-cbc-decrypt-vaes.ts";
import { seededRandom } from "../../src/crypto/random.ts";

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const hasVaes = async (): Promise<boolean> => {
  const text = process.arch === "x64" ? await Bun.file("/proc/cpuinfo").text().catch(() => "") : "";
  return /\bvaes\b/.test(text) && /\bavx2\b/.test(text);
};

describe("AES-256-CBC decryption on VAES", () => {
  test("loads where the CPU has VAES and AVX2, and is off with MTPROXY_NATIVE_CBC_DECRYPT=0", async () => {
    expect(openVaesCbcDecrypt() !== null).toBe(await hasVaes());
    expect(vaesCbcDecryptActive()).toBe(await hasVaes());
    expect(openVaesCbcDecrypt({ MTPROXY_NATIVE_CBC_DECRYPT: "0" })).toBeNull();
  });

  const dec = openVaesCbcDecrypt();
  const maybe = dec ? test : test.skip;

  maybe("FIPS-197 appendix C.3: one block under key 00..1f and a zero IV gives back 00112233…eeff", () => {
    const key = Uint8Array.from({ length: 32 }, (_, i) => i);
    const st = dec!.state(key, new Uint8Array(16));
    const block = Buffer.from("8ea2b7ca516745bfeafc49904b496089", "hex");
    dec!.decryptInPlace(st, block);
    expect(hex(block)).toBe("00112233445566778899aabbccddeeff");
  });

  maybe("a chain cut into random block counts equals node:crypto, and the iv carries between calls", () => {
    const r = seededRandom(17);
    for (let round = 0; round < 30; round++) {
      const key = r.bytes(32);
      const iv = r.bytes(16);
      const plain = r.bytes(16 * (1 + r.int(3000)));
      const enc = createCipheriv("aes-256-cbc", key, iv).setAutoPadding(false);
      const cipher = enc.update(plain);
      const st = dec!.state(key, iv);
      const got = Uint8Array.from(cipher);
      for (let at = 0; at < got.length; ) {
        const blocks = [1, 2, 3, 15, 16, 17, 18, 33, r.int(400) + 1][r.int(9)]!;
        dec!.decryptInPlace(st, got.subarray(at, at + blocks * 16));
        at += blocks * 16;
      }
      expect(hex(got)).toBe(hex(plain));
    }
  });

  maybe("in place at an odd offset touches nothing outside the view; partial blocks are refused", () => {
    const key = new Uint8Array(32).fill(5);
    const iv = new Uint8Array(16).fill(6);
    const cipher = createCipheriv("aes-256-cbc", key, iv).setAutoPadding(false).update(new Uint8Array(16 * 21).fill(0x33));
    const buf = new Uint8Array(3 + cipher.length + 5).fill(0xee);
    buf.set(cipher, 3);
    dec!.decryptInPlace(dec!.state(key, iv), buf.subarray(3, 3 + cipher.length));
    expect(buf.subarray(0, 3).every((b) => b === 0xee)).toBe(true);
    expect(buf.subarray(3 + cipher.length).every((b) => b === 0xee)).toBe(true);
    expect(buf.subarray(3, 3 + cipher.length).every((b) => b === 0x33)).toBe(true);
    expect(() => dec!.decryptInPlace(dec!.state(key, iv), new Uint8Array(20))).toThrow(RangeError);
  });

  test("the decryptor streams (VAES or OpenSSL) equal node:crypto across partial-block updates", async () => {
    const { createAesCbcDecryptor } = await import("../../src/crypto/aes.ts");
    const key = seededRandom(2).bytes(32);
    const iv = seededRandom(3).bytes(16);
    const cipher = seededRandom(4).bytes(16 * 40);
    const want = createDecipheriv("aes-256-cbc", key, iv).setAutoPadding(false).update(cipher);
    const s = createAesCbcDecryptor(key, iv);
    const parts = [s.update(cipher.subarray(0, 5)), s.update(cipher.subarray(5, 37)), s.update(cipher.subarray(37, 48))];
    expect(s.pendingBytes).toBe(0);
    const rest = Uint8Array.from(cipher.subarray(48));
    s.updateInPlace(rest);
    expect(hex(Buffer.concat([...parts, rest]))).toBe(hex(want));
  });
});
