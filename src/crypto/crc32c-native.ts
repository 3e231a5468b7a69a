// Hardware CRC32C (SSE4.2 `crc32` instruction) through bun:ffi's TinyCC, ~4× the table code on bulk
// frames: C's crc32c_partial uses the same instruction, and CRC32C on the middle-end link was ~15 % of
// the proxy's CPU. x86-64 only; null (use the table code) when anything is missing or disagrees.
import { compileC, cpuidLeaf1Ecx } from "./tinycc.ts";

/** crc32c(data, prev) with the table code's chaining convention; data.length must be ≥ 1. */
export type Crc32cFn = (data: Uint8Array, crc: number) => number;

// No #include: a runtime image may ship no C headers. TinyCC's assembler has no SSE4.2 mnemonics,
// so the two instructions are spelled as bytes with fixed registers (rax = crc, rcx = data):
// f2 48 0f 38 f1 c1 = crc32q %rcx,%rax; f2 0f 38 f0 c1 = crc32b %cl,%eax.
const SOURCE = `
typedef unsigned long long u64;
typedef unsigned int u32;
typedef unsigned char u8;
u32 mtp_crc32c(const u8 *p, u64 n, u32 crc) {
  u64 c = (u32)~crc;
  while (n >= 8) {
    u64 v = *(const u64 *)p;
    __asm__ volatile(".byte 0xf2, 0x48, 0x0f, 0x38, 0xf1, 0xc1" : "+a"(c) : "c"(v));
    p += 8;
    n -= 8;
  }
  while (n > 0) {
    u64 v = *p;
    __asm__ volatile(".byte 0xf2, 0x0f, 0x38, 0xf0, 0xc1" : "+a"(c) : "c"(v));
    p++;
    n--;
  }
  return ~(u32)c;
}
`;

/** Compiles and self-checks the hardware path against `reference` (the table code). Never throws. */
export function loadNativeCrc32c(reference: Crc32cFn, env: Record<string, string | undefined> = process.env): Crc32cFn | null {
  if (process.arch !== "x64" || env.MTPROXY_NATIVE_CRC32C === "0") return null;
  if (((cpuidLeaf1Ecx() >>> 20) & 1) === 0) return null; // SSE4.2
  try {
    const lib = compileC("crc32c", SOURCE, {
      mtp_crc32c: { args: ["ptr", "u64", "i32"], returns: "u32" },
    });
    const raw = lib.symbols.mtp_crc32c;
    const fn: Crc32cFn = (data, crc) => raw(data, data.length, crc | 0) >>> 0;
    return selfCheck(fn, reference) ? fn : null;
  } catch {
    return null;
  }
}

/** Lengths and offsets around the 8-byte step, chained and not. */
function selfCheck(fn: Crc32cFn, reference: Crc32cFn): boolean {
  const buf = new Uint8Array(4099);
  for (let i = 0; i < buf.length; i++) buf[i] = (i * 131 + 7) & 0xff;
  for (const off of [0, 1, 3, 7]) {
    for (const len of [1, 7, 8, 9, 63, 64, 65, 1000, 4091]) {
      const d = buf.subarray(off, off + len);
      if (fn(d, 0) !== reference(d, 0) || fn(d, 0x12345678) !== reference(d, 0x12345678) || fn(d, 0xdeadbeef) !== reference(d, 0xdeadbeef)) return false;
    }
  }
  return true;
}
