// The multi-lane AES-256-CBC encryptor (src/crypto/aes-cbc-lanes.ts) and the key schedule it needs:
// every lane must produce exactly what a lone OpenSSL/node:crypto CBC stream produces, whatever the
// mix of lengths in one pass, and keep its chain across passes.
import { describe, expect, test } from "bun:test";
import { createCipheriv } from "node:crypto";
import { openCbcLanes } from "../../src/crypto/aes-cbc-lanes.ts";
import { expandAes256Key } from "../../src/crypto/aes-key-schedule.ts";
import { cbcEncryptInPlaceMany, cbcLanesActive, createAesCbcEncryptor } from "../../src/crypto/aes.ts";
import { seededRandom } from "../../src/crypto/random.ts";

const reference = (key: Uint8Array, iv: Uint8Array) => {
  const c = createCipheriv("aes-256-cbc", key, iv);
  c.setAutoPadding(false);
  return c;
};

describe("AES-256 key schedule", () => {
  test("FIPS-197 appendix A.3: the last round key of 603deb10…", () => {
    const key = Buffer.from("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4", "hex");
    const w = expandAes256Key(key);
    expect(Buffer.from(w.subarray(0, 32)).equals(key)).toBe(true);
    expect(Buffer.from(w.subarray(32, 48)).toString("hex")).toBe("9ba354118e6925afa51a8b5f2067fcde");
    expect(Buffer.from(w.subarray(224, 240)).toString("hex")).toBe("fe4890d1e6188d0b046df344706c631e");
  });
  test("refuses a key that is not 32 bytes", () => {
    expect(() => expandAes256Key(new Uint8Array(16))).toThrow(RangeError);
  });
});

describe("multi-lane CBC encryption", () => {
  test("is active on this machine (x86-64 with AES-NI) and off with MTPROXY_NATIVE_CBC_LANES=0", () => {
    expect(process.arch === "x64" ? cbcLanesActive() : true).toBe(true);
    expect(openCbcLanes({ MTPROXY_NATIVE_CBC_LANES: "0" })).toBeNull();
  });

  test("70 streams of random lengths over 5 passes equal 70 lone streams", () => {
    const rnd = seededRandom(41);
    const n = 70; // more than one native call's 64 lanes
    const keys = Array.from({ length: n }, () => rnd.bytes(32));
    const ivs = Array.from({ length: n }, () => rnd.bytes(16));
    const streams = keys.map((k, i) => createAesCbcEncryptor(k, ivs[i]!));
    const refs = keys.map((k, i) => reference(k, ivs[i]!));
    for (let pass = 0; pass < 5; pass++) {
      const plain = keys.map(() => rnd.bytes(16 * rnd.int(41)));
      const want = plain.map((p, i) => refs[i]!.update(p));
      const got = plain.map((p) => Uint8Array.from(p));
      cbcEncryptInPlaceMany(streams, got);
      for (let i = 0; i < n; i++) expect(Buffer.from(got[i]!).toString("hex")).toBe(want[i]!.toString("hex"));
    }
  });

  test("a stream continues its chain between batched passes and lone calls, in any split", () => {
    const rnd = seededRandom(7);
    const key = rnd.bytes(32);
    const iv = rnd.bytes(16);
    const data = rnd.bytes(4000);
    const want = reference(key, iv).update(data);
    const s = createAesCbcEncryptor(key, iv);
    const other = createAesCbcEncryptor(rnd.bytes(32), rnd.bytes(16));
    const out: Uint8Array[] = [];
    const a = Uint8Array.from(data.subarray(0, 160));
    cbcEncryptInPlaceMany([s, other], [a, new Uint8Array(48)]);
    out.push(a);
    out.push(s.update(data.subarray(160, 171))); // 11 bytes: nothing out yet, held back
    out.push(s.update(data.subarray(171, 3013)));
    expect(s.pendingBytes).toBe((3013 - 160) % 16);
    out.push(s.update(data.subarray(3013)));
    const got = Buffer.concat(out);
    expect(got.toString("hex")).toBe(want.subarray(0, got.length).toString("hex"));
  });

  test("partial blocks are refused in place, never silently padded", () => {
    const s = createAesCbcEncryptor(new Uint8Array(32), new Uint8Array(16));
    expect(() => cbcEncryptInPlaceMany([s], [new Uint8Array(20)])).toThrow(RangeError);
    expect(() => s.updateInPlace(new Uint8Array(15))).toThrow(RangeError);
    s.update(new Uint8Array(5));
    expect(() => s.updateInPlace(new Uint8Array(16))).toThrow(RangeError);
  });
});
