// Hardware CRC32C (SSE4.2 `crc32` instruction) through bun:ffi's TinyCC. The instruction has a latency
// of three cycles and a throughput of one, so like C's crc32c_partial we run three strands side by
// side over each 768-byte block (three 256-byte thirds) and join them with a fixed "append 256 zero
// bytes" operator (a 4×256 table built here): ~2× the one-strand loop, ~8× the table code on bulk
// frames. x86-64 only; null (use the table code) when anything is missing or disagrees.
import { ptr } from "bun:ffi";
import { compileC, cpuFeatures } from "./tinycc.ts";

/**
 * crc32c(data, prev) with the table code's chaining convention, over data[start, start + length)
 * (all of it by default: a range needs no view, so no allocation); the range must not be empty.
 */
export type Crc32cFn = (data: Uint8Array, crc: number, start?: number, length?: number) => number;

/** Bytes per strand; a block is three strands. The asm below spells 256 and 512 as displacements. */
const STRAND = 256;

// No #include: a runtime image may ship no C headers. TinyCC's assembler has no SSE4.2 mnemonics,
// so the instructions are spelled as bytes with fixed registers:
//   f2 48 0f 38 f1 06                crc32q (%rsi),%rax
//   f2 48 0f 38 f1 9e 00 01 00 00    crc32q 256(%rsi),%rbx
//   f2 48 0f 38 f1 96 00 02 00 00    crc32q 512(%rsi),%rdx
//   f2 48 0f 38 f1 c1                crc32q %rcx,%rax
//   f2 0f 38 f0 c1                   crc32b %cl,%eax
// The strands' registers hold the raw CRC (no inversion): raw(A‖B) = zeros_|B|(raw(A)) ^ raw_0(B),
// so a block from register c is zeros(zeros(raw_c(A)) ^ raw_0(B)) ^ raw_0(C).
const SOURCE = String.raw`
typedef unsigned long long u64;
typedef unsigned int u32;
typedef unsigned char u8;
/* s[0]: the block; s[1..3]: the three strands' registers, advanced over ${STRAND} bytes each. */
static void strands(u64 *s) {
  __asm__ volatile(
    "push %%rbx\n\t"
    "movq (%%rdi), %%rsi\n\t movq 8(%%rdi), %%rax\n\t movq 16(%%rdi), %%rbx\n\t movq 24(%%rdi), %%rdx\n\t"
    "movl $${STRAND / 8}, %%ecx\n\t"
    "1:\n\t"
    ".byte 0xf2,0x48,0x0f,0x38,0xf1,0x06\n\t"
    ".byte 0xf2,0x48,0x0f,0x38,0xf1,0x9e,0x00,0x01,0x00,0x00\n\t"
    ".byte 0xf2,0x48,0x0f,0x38,0xf1,0x96,0x00,0x02,0x00,0x00\n\t"
    "add $8, %%rsi\n\t dec %%ecx\n\t jnz 1b\n\t"
    "movq %%rax, 8(%%rdi)\n\t movq %%rbx, 16(%%rdi)\n\t movq %%rdx, 24(%%rdi)\n\t"
    "pop %%rbx\n\t"
    : : "D"(s) : "memory", "rax", "rcx", "rdx", "rsi");
}
/* The raw register after ${STRAND} zero bytes: a linear map, one table row per input byte. */
static u32 zeros(const u32 *t, u32 c) {
  return t[c & 255] ^ t[256 + ((c >> 8) & 255)] ^ t[512 + ((c >> 16) & 255)] ^ t[768 + (c >> 24)];
}
u32 mtp_crc32c(const u8 *p, u64 n, u32 crc, const u32 *t) {
  u64 c = (u32)~crc;
  u64 s[4];
  while (n >= 3 * ${STRAND}) {
    s[0] = (u64)p;
    s[1] = c;
    s[2] = 0;
    s[3] = 0;
    strands(s);
    c = zeros(t, zeros(t, (u32)s[1]) ^ (u32)s[2]) ^ (u32)s[3];
    p += 3 * ${STRAND};
    n -= 3 * ${STRAND};
  }
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

/** Row k, entry v: the raw CRC32C register v << 8k after STRAND zero bytes. */
export function zeroAppendTable(poly = 0x82f63b78, bytes = STRAND): Uint32Array {
  const byteStep = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ poly : c >>> 1;
    byteStep[n] = c;
  }
  const table = new Uint32Array(1024);
  for (let k = 0; k < 4; k++) {
    for (let v = 0; v < 256; v++) {
      let r = (v << (8 * k)) >>> 0;
      for (let i = 0; i < bytes; i++) r = (byteStep[r & 0xff]! ^ (r >>> 8)) >>> 0;
      table[k * 256 + v] = r;
    }
  }
  return table;
}

/** Compiles and self-checks the hardware path against `reference` (the table code). Never throws. */
export function loadNativeCrc32c(reference: Crc32cFn, env: Record<string, string | undefined> = process.env): Crc32cFn | null {
  if (process.arch !== "x64" || env.MTPROXY_NATIVE_CRC32C === "0") return null;
  if (!cpuFeatures().sse42) return null;
  try {
    const lib = compileC("crc32c", SOURCE, {
      mtp_crc32c: { args: ["ptr", "u64", "i32", "ptr"], returns: "u32" },
    });
    const raw = lib.symbols.mtp_crc32c;
    const table = zeroAppendTable();
    void table.buffer; // out of line from here on: JSC may move a small typed array's bytes when .buffer is first read
    const tablePtr = ptr(table);
    const fn: Crc32cFn = (data, crc, start = 0, length = data.length - start) =>
      raw(start === 0 ? data : ptr(data, start), length, crc | 0, tablePtr) >>> 0;
    keepAlive.push(table); // the native code reads it through tablePtr for the life of the process
    return selfCheck(fn, reference) ? fn : null;
  } catch {
    return null;
  }
}

const keepAlive: Uint32Array[] = [];

/** Lengths and offsets around the 8-byte step and the 768-byte block, chained and not. */
function selfCheck(fn: Crc32cFn, reference: Crc32cFn): boolean {
  const buf = new Uint8Array(4099);
  for (let i = 0; i < buf.length; i++) buf[i] = (i * 131 + 7) & 0xff;
  for (const off of [0, 1, 3, 7]) {
    for (const len of [1, 7, 8, 9, 63, 64, 65, 767, 768, 769, 1000, 1543, 2304, 4091]) {
      const d = buf.subarray(off, off + len);
      if (fn(d, 0) !== reference(d, 0) || fn(d, 0x12345678) !== reference(d, 0x12345678) || fn(d, 0xdeadbeef) !== reference(d, 0xdeadbeef)) return false;
      if (fn(buf, 7, off, len) !== reference(d, 7)) return false; // the same bytes as a range of the whole
    }
  }
  return true;
}
