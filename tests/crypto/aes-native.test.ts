import { describe, expect, test } from "bun:test";
import { createCipheriv, createDecipheriv } from "node:crypto";
import {
  createAesCbcDecryptor,
  createAesCbcEncryptor,
  createAesCtr,
  liveNativeAesContexts,
  nativeAesActive,
  selfCheck,
  useOpenSslStreams,
} from "../../src/crypto/aes.ts";
import { openNativeAes } from "../../src/crypto/aes-native.ts";

const pattern = (n: number, mul = 131): Buffer => Buffer.from(Uint8Array.from({ length: n }, (_, i) => (i * mul + 7) & 0xff));
const KEY = pattern(32, 17);
const IV = pattern(16, 29);

function reference(mode: "ctr" | "cbc-encrypt" | "cbc-decrypt", data: Uint8Array): Buffer {
  const c = mode === "cbc-decrypt" ? createDecipheriv("aes-256-cbc", KEY, IV) : createCipheriv(mode === "ctr" ? "aes-256-ctr" : "aes-256-cbc", KEY, IV);
  if (mode !== "ctr") c.setAutoPadding(false);
  return c.update(data);
}
const create = { ctr: createAesCtr, "cbc-encrypt": createAesCbcEncryptor, "cbc-decrypt": createAesCbcDecryptor } as const;

describe("native AES (system libcrypto)", () => {
  test("is active on this machine (libcrypto.so.3 present) and passes its self-check", () => {
    expect(openNativeAes()).not.toBeNull();
    expect(nativeAesActive()).toBe(true);
    expect(selfCheck(openNativeAes()!)).toBe(true);
  });

  test("is off when MTPROXY_NATIVE_AES=0", () => {
    expect(openNativeAes({ MTPROXY_NATIVE_AES: "0" })).toBeNull();
  });

  for (const mode of ["ctr", "cbc-encrypt", "cbc-decrypt"] as const) {
    test(`${mode}: equals node:crypto at every split point of a stream`, () => {
      const data = pattern(160 + 5);
      const want = reference(mode, data);
      for (let cut = 0; cut <= data.length; cut++) {
        const s = create[mode](KEY, IV);
        try {
          const got = Buffer.concat([s.update(data.subarray(0, cut)), s.update(data.subarray(cut))]);
          expect(got.toString("hex")).toBe(want.subarray(0, got.length).toString("hex"));
          expect(got.length).toBe(mode === "ctr" ? data.length : data.length & ~15);
        } finally {
          s.free();
        }
      }
    });

    test(`${mode}: in place equals allocating, interleaved with allocating calls`, () => {
      const data = pattern(16 * 300);
      const want = reference(mode, data);
      const s = create[mode](KEY, IV);
      try {
        const out: Uint8Array[] = [];
        let i = 0;
        for (const step of [16, 32, 48, 1024, 16, 160, 2048]) {
          const chunk = Uint8Array.from(data.subarray(i, i + step));
          if (out.length % 2 === 0) {
            s.updateInPlace(chunk);
            out.push(chunk);
          } else {
            out.push(s.update(chunk));
          }
          i += step;
        }
        out.push(s.update(data.subarray(i)));
        expect(Buffer.concat(out).equals(want)).toBe(true);
      } finally {
        s.free();
      }
    });
  }

  test("ctr in place works at any length and offset", () => {
    const data = pattern(1001);
    const want = reference("ctr", data);
    const s = createAesCtr(KEY, IV);
    const buf = Buffer.alloc(1010);
    data.copy(buf, 3);
    s.updateInPlace(buf.subarray(3, 500));
    s.updateInPlace(buf.subarray(500, 1004));
    s.free();
    expect(buf.subarray(3, 1004).equals(want)).toBe(true);
    expect(buf.subarray(0, 3).equals(Buffer.alloc(3))).toBe(true);
    expect(buf.subarray(1004).equals(Buffer.alloc(6))).toBe(true);
  });

  test("cbc in place refuses partial blocks and a held-back remainder", () => {
    const s = createAesCbcDecryptor(KEY, IV);
    try {
      expect(() => s.updateInPlace(new Uint8Array(15))).toThrow(RangeError);
      s.update(new Uint8Array(5));
      expect(s.pendingBytes).toBe(5);
      expect(() => s.updateInPlace(new Uint8Array(16))).toThrow(RangeError);
      s.update(new Uint8Array(11));
      expect(s.pendingBytes).toBe(0);
      s.updateInPlace(new Uint8Array(16));
    } finally {
      s.free();
    }
  });

  test("free() releases the context once; use after free throws instead of touching freed memory", () => {
    const before = liveNativeAesContexts();
    useOpenSslStreams(true);
    const streams = [createAesCtr(KEY, IV), createAesCbcEncryptor(KEY, IV), createAesCbcDecryptor(KEY, IV)];
    useOpenSslStreams(false);
    expect(liveNativeAesContexts()).toBe(before + 3);
    for (const s of streams) s.free();
    for (const s of streams) s.free();
    expect(liveNativeAesContexts()).toBe(before);
    expect(() => streams[0]!.update(new Uint8Array(4))).toThrow();
  });

  test("streams dropped without free() are released by the finalizer", async () => {
    const before = liveNativeAesContexts();
    useOpenSslStreams(true);
    try {
      (() => {
        for (let i = 0; i < 200; i++) createAesCtr(KEY, IV).update(new Uint8Array(8));
      })();
    } finally {
      useOpenSslStreams(false);
    }
    expect(liveNativeAesContexts()).toBeGreaterThan(before);
    for (let i = 0; i < 50 && liveNativeAesContexts() > before; i++) {
      Bun.gc(true);
      await Bun.sleep(10);
    }
    expect(liveNativeAesContexts()).toBeLessThanOrEqual(before);
  });

  test("with MTPROXY_NATIVE_AES=0 streams use node:crypto and give the same bytes", async () => {
    const script = `
      import { createAesCtr, createAesCbcEncryptor, nativeAesActive, liveNativeAesContexts } from ${JSON.stringify(`${import.meta.dir}/../../src/crypto/aes.ts`)};
      const k = new Uint8Array(32).fill(3), iv = new Uint8Array(16).fill(9);
      const a = createAesCtr(k, iv); const b = createAesCbcEncryptor(k, iv);
      const buf = new Uint8Array(64).fill(1); b.updateInPlace(buf);
      console.log(JSON.stringify({ native: nativeAesActive(), live: liveNativeAesContexts(), ctr: a.update(new Uint8Array(20)).toString("hex"), cbc: Buffer.from(buf).toString("hex") }));
    `;
    const run = async (env: Record<string, string>) => {
      const p = Bun.spawn([process.execPath, "-e", script], { env: { ...process.env, ...env }, stdout: "pipe", stderr: "pipe" });
      const out = await new Response(p.stdout).text();
      await p.exited;
      return JSON.parse(out) as { native: boolean; live: number; ctr: string; cbc: string };
    };
    // both through OpenSSL's EVP: not the multi-lane CBC encryptor nor VAES CTR (their own test files)
    const off = await run({ MTPROXY_NATIVE_AES: "0", MTPROXY_NATIVE_CBC_LANES: "0", MTPROXY_NATIVE_CTR: "0" });
    const on = await run({ MTPROXY_NATIVE_AES: "1", MTPROXY_NATIVE_CBC_LANES: "0", MTPROXY_NATIVE_CTR: "0" });
    expect(off.native).toBe(false);
    expect(off.live).toBe(0);
    expect(on.native).toBe(true);
    expect(on.live).toBe(2);
    expect(off.ctr).toBe(on.ctr);
    expect(off.cbc).toBe(on.cbc);
  }, 15000);
});
