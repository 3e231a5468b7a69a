import { describe, expect, test } from "bun:test";
import { createCipheriv } from "node:crypto";
import { createAesCtr, vaesCtrActive } from "../../src/crypto/aes.ts";
import { openVaesCtr } from "../../src/crypto/aes-ctr-vaes.ts";
import { seededRandom } from "../../src/crypto/random.ts";
import { cpuFeatures } from "../../src/crypto/tinycc.ts";
import { GPR, vex256, VZEROUPPER } from "../../src/crypto/vex.ts";

const cpuFlags = async (): Promise<Set<string>> => {
  const text = process.arch === "x64" ? await Bun.file("/proc/cpuinfo").text().catch(() => "") : "";
  return new Set((/^flags\s*:(.*)$/m.exec(text)?.[1] ?? "").trim().split(/\s+/));
};

const reference = (key: Uint8Array, iv: Uint8Array, data: Uint8Array): Buffer => createCipheriv("aes-256-ctr", key, iv).update(data);
const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

describe("CPU features (CPUID through TinyCC)", () => {
  test("agree with the kernel's /proc/cpuinfo flags", async () => {
    const flags = await cpuFlags();
    const f = cpuFeatures();
    expect(f.sse42).toBe(flags.has("sse4_2"));
    expect(f.aesni).toBe(flags.has("aes"));
    expect(f.vaesAvx2).toBe(flags.has("vaes") && flags.has("avx2"));
  });
});

describe("VEX encoder (the bytes GNU objdump decodes back to these instructions)", () => {
  const cases: [string, number[], string][] = [
    ["vaesenc %ymm8,%ymm12,%ymm12", vex256("vaesenc", 12, 12, { ymm: 8 }), "c4 42 1d dc e0"],
    ["vpxor 0x40(%rsi),%ymm2,%ymm2", vex256("vpxor", 2, 2, { base: GPR.rsi, disp: 0x40 }), "c4 e1 6d ef 96 40 00 00 00"],
    ["vbroadcasti128 0xe0(%rax),%ymm8", vex256("vbroadcasti128", 8, -1, { base: GPR.rax, disp: 0xe0 }), "c4 62 7d 5a 80 e0 00 00 00"],
    ["vmovdqu %ymm6,0xc0(%rsi)", vex256("vmovdquStore", 6, -1, { base: GPR.rsi, disp: 0xc0 }), "c4 e1 7e 7f b6 c0 00 00 00"],
    ["vpshufb %ymm15,%ymm5,%ymm5", vex256("vpshufb", 5, 5, { ymm: 15 }), "c4 c2 55 00 ef"],
    ["vzeroupper", VZEROUPPER, "c5 f8 77"],
  ];
  for (const [asm, got, want] of cases) {
    test(asm, () => expect(got.map((b) => b.toString(16).padStart(2, "0")).join(" ")).toBe(want));
  }

  test("refuses registers it cannot encode", () => {
    expect(() => vex256("vpxor", 16, 0, { ymm: 0 })).toThrow(RangeError);
    expect(() => vex256("vpxor", 0, 0, { base: 4, disp: 0 })).toThrow(RangeError); // rsp needs a SIB byte
  });
});

describe("AES-256-CTR on VAES", () => {
  test("loads where the CPU has VAES and AVX2, and is off with MTPROXY_NATIVE_CTR=0", async () => {
    const flags = await cpuFlags();
    expect(openVaesCtr() !== null).toBe(flags.has("vaes") && flags.has("avx2"));
    expect(vaesCtrActive()).toBe(flags.has("vaes") && flags.has("avx2"));
    expect(openVaesCtr({ MTPROXY_NATIVE_CTR: "0" })).toBeNull();
  });

  const ctr = openVaesCtr();
  const maybe = ctr ? test : test.skip;

  maybe("equals node:crypto over random keys, IVs and cuts (tails, held bytes, whole 256-byte steps)", () => {
    const r = seededRandom(3);
    for (let round = 0; round < 40; round++) {
      const key = r.bytes(32);
      const iv = r.bytes(16);
      const data = r.bytes(r.int(40_000));
      const st = ctr!.state(key, iv);
      const got = Uint8Array.from(data);
      for (let at = 0; at < got.length; ) {
        const cut = [1, 15, 16, 17, 31, 32, 33, 255, 256, 257, 4096, r.int(3000)][r.int(12)]!;
        ctr!.xorInPlace(st, got.subarray(at, at + cut));
        at += cut;
      }
      expect(hex(got)).toBe(hex(reference(key, iv, data)));
    }
  });

  maybe("counters that carry out of the low 64 bits and wrap all 128 bits, at every offset near the carry", () => {
    const key = seededRandom(5).bytes(32);
    const data = seededRandom(6).bytes(1200);
    for (let back = 0; back <= 40; back++) {
      for (const high of [Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 1]), new Uint8Array(8).fill(0xff)]) {
        const iv = new Uint8Array(16);
        iv.set(high);
        const low = new DataView(iv.buffer, 8, 8);
        low.setBigUint64(0, 0xffffffffffffffffn - BigInt(back), false); // `back` blocks before the carry
        const st = ctr!.state(key, iv);
        const got = Uint8Array.from(data);
        ctr!.xorInPlace(st, got.subarray(0, 7)); // a held partial block across the carry too
        ctr!.xorInPlace(st, got.subarray(7, 600));
        ctr!.xorInPlace(st, got.subarray(600));
        expect(hex(got)).toBe(hex(reference(key, iv, data)));
      }
    }
  });

  maybe("in place writes only inside the view", () => {
    const key = new Uint8Array(32).fill(1);
    const iv = new Uint8Array(16).fill(2);
    const buf = new Uint8Array(1100).fill(0xaa);
    const st = ctr!.state(key, iv);
    ctr!.xorInPlace(st, buf.subarray(5, 1003));
    expect(buf.subarray(0, 5).every((b) => b === 0xaa)).toBe(true);
    expect(buf.subarray(1003).every((b) => b === 0xaa)).toBe(true);
    expect(hex(buf.subarray(5, 1003))).toBe(hex(reference(key, iv, new Uint8Array(998).fill(0xaa))));
  });

  test("createAesCtr streams (VAES or OpenSSL) refuse use after free()", () => {
    const s = createAesCtr(new Uint8Array(32), new Uint8Array(16));
    s.updateInPlace(new Uint8Array(8));
    s.free();
    expect(() => s.updateInPlace(new Uint8Array(8))).toThrow();
  });
});
