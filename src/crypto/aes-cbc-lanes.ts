// AES-256-CBC encryption of several independent streams in one interleaved pass (x86-64 AES-NI through
// bun:ffi's TinyCC). CBC encryption is serial within a stream: each block waits for the previous one's
// 14 aesenc rounds, so one stream runs at the instruction's latency (~1 GB/s here, the single largest
// cost of the middle-end path, in C as in ours). Four streams side by side fill that latency: ~4 GB/s.
// The proxy keeps min_connections (4 by default) links per middle end and flushes them all in the same
// event-loop turn (rpc/flush-turn.ts), so their batches are encrypted together.
// Same idea as OpenSSL's multi-block CBC; this code is our own. null (callers use OpenSSL's serial
// CBC) on other CPUs, without AES-NI, with MTPROXY_NATIVE_CBC_LANES=0, or when the self-check fails.
import { ptr } from "bun:ffi";
import { createCipheriv } from "node:crypto";
import { AES256_ROUND_KEYS_BYTES, expandAes256Key } from "./aes-key-schedule.ts";
import { compileC, cpuFeatures } from "./tinycc.ts";
import { asmBytes as asmLine } from "./vex.ts";

/** One stream's state: its round keys (240 bytes) and chaining value (16 bytes), both caller-owned. */
export interface CbcLaneState {
  readonly roundKeys: Uint8Array;
  readonly iv: Uint8Array;
}

export interface CbcLanes {
  /**
   * Encrypts data[i] (whole 16-byte blocks, in place) with lanes[i], advancing each lane's iv. Lanes
   * must be distinct streams; lengths may differ.
   */
  encrypt(lanes: readonly CbcLaneState[], data: readonly Uint8Array[]): void;
}

/** Descriptor slots per lane: round keys, iv, data, block count (pointers as doubles: < 2^53). */
const SLOTS = 4;
/** Lanes per native call; more are encrypted by further calls. */
export const MAX_LANES_PER_CALL = 64;

// The one-lane loop's instructions on xmm8..xmm15, which TinyCC's assembler does not name, spelled as
// bytes: movups disp32(%rax),%xmmN = [44] 0f 10 /r; aesenc/aesenclast %xmmK,%xmm0 = 66 [41] 0f 38 dc/dd /r.
const ONE_LANE_KEY_LOADS = Array.from({ length: 14 }, (_, i) => {
  const reg = i + 2; // round key i+1 → xmm(i+2)
  const off = (i + 1) * 16;
  return asmLine([...(reg >= 8 ? [0x44] : []), 0x0f, 0x10, 0x80 | ((reg & 7) << 3), off & 0xff, off >> 8, 0, 0]);
}).join(" ");
const ONE_LANE_ROUNDS = Array.from({ length: 14 }, (_, i) => {
  const reg = i + 2;
  return asmLine([0x66, ...(reg >= 8 ? [0x41] : []), 0x0f, 0x38, i === 13 ? 0xdd : 0xdc, 0xc0 | (reg & 7)]);
}).join(" ");

// No #include (a runtime image may ship no C headers). TinyCC's assembler knows movups and pxor but
// not AES-NI, so aesenc/aesenclast are spelled as bytes with fixed registers: lane j's state lives in
// xmm(j) and its round key in xmm(4+j), i.e. `aesenc %xmm(4+j),%xmm(j)` = 66 0f 38 dc /r with
// ModRM 0xc4, 0xcd, 0xd6, 0xdf (aesenclast: dd).
const SOURCE = String.raw`
typedef unsigned long long u64;
typedef unsigned char u8;

#define KEYS(r) "movups " #r "*64(%%rax), %%xmm4\n\t movups " #r "*64+16(%%rax), %%xmm5\n\t" \
                "movups " #r "*64+32(%%rax), %%xmm6\n\t movups " #r "*64+48(%%rax), %%xmm7\n\t"
#define AESENC ".byte 0x66,0x0f,0x38,0xdc,0xc4\n\t .byte 0x66,0x0f,0x38,0xdc,0xcd\n\t" \
               ".byte 0x66,0x0f,0x38,0xdc,0xd6\n\t .byte 0x66,0x0f,0x38,0xdc,0xdf\n\t"
#define AESENCLAST ".byte 0x66,0x0f,0x38,0xdd,0xc4\n\t .byte 0x66,0x0f,0x38,0xdd,0xcd\n\t" \
                   ".byte 0x66,0x0f,0x38,0xdd,0xd6\n\t .byte 0x66,0x0f,0x38,0xdd,0xdf\n\t"
#define ROUND(r) KEYS(r) AESENC

/* Four lanes, n blocks each. a[0]: round keys interleaved by round (round r of lane j at r*64+j*16);
   a[1..4]: data pointers; a[5..8]: their strides (16, or 0 for an idle lane over a 16-byte scratch);
   a[9]: n; a[10]: the four chaining values (64 bytes, updated). */
static void cbc4(u64 *a) {
  __asm__ volatile(
    "push %%rbx\n\t push %%r8\n\t push %%r9\n\t push %%r10\n\t push %%r11\n\t push %%r12\n\t push %%r13\n\t push %%r14\n\t push %%r15\n\t"
    "movq (%%rdi), %%rax\n\t movq 8(%%rdi), %%r8\n\t movq 16(%%rdi), %%r9\n\t movq 24(%%rdi), %%r10\n\t movq 32(%%rdi), %%r11\n\t"
    "movq 40(%%rdi), %%r12\n\t movq 48(%%rdi), %%r13\n\t movq 56(%%rdi), %%r14\n\t movq 64(%%rdi), %%r15\n\t"
    "movq 72(%%rdi), %%rcx\n\t movq 80(%%rdi), %%rbx\n\t"
    "movups (%%rbx), %%xmm0\n\t movups 16(%%rbx), %%xmm1\n\t movups 32(%%rbx), %%xmm2\n\t movups 48(%%rbx), %%xmm3\n\t"
    "test %%rcx, %%rcx\n\t jz 2f\n\t"
    "1:\n\t"
    "movups (%%r8), %%xmm4\n\t pxor %%xmm4, %%xmm0\n\t movups (%%r9), %%xmm5\n\t pxor %%xmm5, %%xmm1\n\t"
    "movups (%%r10), %%xmm6\n\t pxor %%xmm6, %%xmm2\n\t movups (%%r11), %%xmm7\n\t pxor %%xmm7, %%xmm3\n\t"
    KEYS(0) "pxor %%xmm4, %%xmm0\n\t pxor %%xmm5, %%xmm1\n\t pxor %%xmm6, %%xmm2\n\t pxor %%xmm7, %%xmm3\n\t"
    ROUND(1) ROUND(2) ROUND(3) ROUND(4) ROUND(5) ROUND(6) ROUND(7)
    ROUND(8) ROUND(9) ROUND(10) ROUND(11) ROUND(12) ROUND(13)
    KEYS(14) AESENCLAST
    "movups %%xmm0, (%%r8)\n\t movups %%xmm1, (%%r9)\n\t movups %%xmm2, (%%r10)\n\t movups %%xmm3, (%%r11)\n\t"
    "add %%r12, %%r8\n\t add %%r13, %%r9\n\t add %%r14, %%r10\n\t add %%r15, %%r11\n\t"
    "dec %%rcx\n\t jnz 1b\n\t"
    "2:\n\t"
    "movups %%xmm0, (%%rbx)\n\t movups %%xmm1, 16(%%rbx)\n\t movups %%xmm2, 32(%%rbx)\n\t movups %%xmm3, 48(%%rbx)\n\t"
    "pop %%r15\n\t pop %%r14\n\t pop %%r13\n\t pop %%r12\n\t pop %%r11\n\t pop %%r10\n\t pop %%r9\n\t pop %%r8\n\t pop %%rbx\n\t"
    : : "D"(a) : "memory", "rax", "rcx");
}

/* One lane alone (a turn with a single busy link): the serial loop with round keys 1..14 held in
   xmm2..xmm15 and only one xor on the chain (plaintext ^ k0 is formed off it), as OpenSSL's loop
   does: ~1.1 GB/s here against 0.9 for keys reloaded every round. a[0]: 15 round keys; a[1]: data,
   a[2] blocks; a[3]: iv (16 bytes, updated); a[4]: k0, 16-byte aligned (pxor's memory operand). */
static void cbc1(u64 *a) {
  __asm__ volatile(
    "push %%rbx\n\t"
    "movq (%%rdi), %%rax\n\t movq 8(%%rdi), %%rsi\n\t movq 16(%%rdi), %%rcx\n\t movq 24(%%rdi), %%rdx\n\t movq 32(%%rdi), %%rbx\n\t"
    "movups (%%rdx), %%xmm0\n\t"
    ${ONE_LANE_KEY_LOADS}
    "test %%rcx, %%rcx\n\t jz 2f\n\t"
    "1:\n\t"
    "movups (%%rsi), %%xmm1\n\t pxor (%%rbx), %%xmm1\n\t pxor %%xmm1, %%xmm0\n\t"
    ${ONE_LANE_ROUNDS}
    "movups %%xmm0, (%%rsi)\n\t add $16, %%rsi\n\t"
    "dec %%rcx\n\t jnz 1b\n\t"
    "2:\n\t"
    "movups %%xmm0, (%%rdx)\n\t"
    "pop %%rbx\n\t"
    : : "D"(a) : "memory", "rax", "rcx", "rdx", "rsi");
}

static void copy16(u8 *d, const u8 *s) {
  ((u64 *)d)[0] = ((const u64 *)s)[0];
  ((u64 *)d)[1] = ((const u64 *)s)[1];
}

/* d: count lanes of {round keys, iv, data, blocks} as doubles. Runs rounds of up to four lanes
   over the shortest one's remaining blocks until every lane is done. */
int mtp_cbc_lanes(const double *d, int count) {
  u8 *keys[${MAX_LANES_PER_CALL}], *iv[${MAX_LANES_PER_CALL}], *data[${MAX_LANES_PER_CALL}];
  u64 left[${MAX_LANES_PER_CALL}];
  u8 inter[15 * 64], ivs[64], idle[16], k0buf[32];
  u8 *k0 = (u8 *)(((u64)k0buf + 15) & ~(u64)15);
  u64 a[11];
  int sel[4], i, j, r, m;
  if (count < 0 || count > ${MAX_LANES_PER_CALL}) return -1;
  for (i = 0; i < count; i++) {
    keys[i] = (u8 *)(u64)d[i * 4];
    iv[i] = (u8 *)(u64)d[i * 4 + 1];
    data[i] = (u8 *)(u64)d[i * 4 + 2];
    left[i] = (u64)d[i * 4 + 3];
  }
  for (;;) {
    u64 n = 0;
    m = 0;
    for (i = 0; i < count && m < 4; i++) {
      if (left[i] == 0) continue;
      sel[m++] = i;
      if (n == 0 || left[i] < n) n = left[i];
    }
    if (m == 0) return 0;
    if (m == 1) {
      int l = sel[0];
      a[0] = (u64)keys[l];
      a[1] = (u64)data[l];
      a[2] = n;
      a[3] = (u64)iv[l];
      copy16(k0, keys[l]);
      a[4] = (u64)k0;
      cbc1(a);
      data[l] += n * 16;
      left[l] = 0;
      continue;
    }
    for (j = 0; j < 4; j++) {
      int l = sel[j < m ? j : 0];
      for (r = 0; r < 15; r++) copy16(inter + r * 64 + j * 16, keys[l] + r * 16);
      if (j < m) {
        copy16(ivs + j * 16, iv[l]);
        a[1 + j] = (u64)data[l];
        a[5 + j] = 16;
      } else {
        copy16(ivs + j * 16, idle);
        a[1 + j] = (u64)idle;
        a[5 + j] = 0;
      }
    }
    a[0] = (u64)inter;
    a[9] = n;
    a[10] = (u64)ivs;
    cbc4(a);
    for (j = 0; j < m; j++) {
      int l = sel[j];
      copy16(iv[l], ivs + j * 16);
      data[l] += n * 16;
      left[l] -= n;
    }
  }
}
`;

/** Loads, compiles and self-checks the multi-lane encryptor. Never throws. */
export function openCbcLanes(env: Record<string, string | undefined> = process.env): CbcLanes | null {
  if (process.arch !== "x64" || env.MTPROXY_NATIVE_CBC_LANES === "0") return null;
  if (!cpuFeatures().aesni) return null;
  try {
    const lib = compileC("cbc-lanes", SOURCE, {
      mtp_cbc_lanes: { args: ["ptr", "i32"], returns: "i32" },
    });
    const run = lib.symbols.mtp_cbc_lanes;
    const desc = new Float64Array(MAX_LANES_PER_CALL * SLOTS);
    const lanes: CbcLanes = {
      encrypt(states, data) {
        for (let start = 0; start < states.length; start += MAX_LANES_PER_CALL) {
          const count = Math.min(MAX_LANES_PER_CALL, states.length - start);
          for (let i = 0; i < count; i++) {
            const s = states[start + i]!;
            const d = data[start + i]!;
            if (d.length & 15) throw new RangeError("CBC lanes need whole 16-byte blocks");
            if (s.roundKeys.length !== AES256_ROUND_KEYS_BYTES || s.iv.length !== 16) throw new RangeError("bad CBC lane state");
            const o = i * SLOTS;
            desc[o] = ptr(s.roundKeys);
            desc[o + 1] = ptr(s.iv);
            desc[o + 2] = d.length === 0 ? desc[o + 1]! : ptr(d); // ptr() refuses empty views; 0 blocks are never touched
            desc[o + 3] = d.length >>> 4;
          }
          if (run(desc, count) !== 0) throw new Error("mtp_cbc_lanes refused its descriptor");
        }
      },
    };
    return selfCheck(lanes) ? lanes : null;
  } catch {
    return null;
  }
}

/** A lane's state for `key`/`iv` (the iv is copied: the lane advances its own). */
export function cbcLaneState(key: Uint8Array, iv: Uint8Array): CbcLaneState {
  return { roundKeys: expandAes256Key(key), iv: Uint8Array.from(iv) };
}

/** Seven lanes of unequal lengths (0 to 300 blocks, so rounds of four, three, two and one), twice
 * so the chaining values carry over, against node:crypto. */
function selfCheck(lanes: CbcLanes): boolean {
  const blocks = [300, 1, 0, 77, 290, 5, 128];
  const keys = blocks.map((_, i) => Uint8Array.from({ length: 32 }, (_, j) => (i * 97 + j * 13 + 5) & 0xff));
  const ivs = blocks.map((_, i) => Uint8Array.from({ length: 16 }, (_, j) => (i * 31 + j * 7 + 1) & 0xff));
  const states = blocks.map((_, i) => cbcLaneState(keys[i]!, ivs[i]!));
  const refs = blocks.map((_, i) => {
    const c = createCipheriv("aes-256-cbc", keys[i]!, ivs[i]!);
    c.setAutoPadding(false);
    return c;
  });
  for (let pass = 0; pass < 2; pass++) {
    const plain = blocks.map((n, i) => Uint8Array.from({ length: n * 16 }, (_, j) => (i * 11 + j * 3 + pass) & 0xff));
    const want = plain.map((p, i) => refs[i]!.update(p));
    const got = plain.map((p) => Uint8Array.from(p));
    lanes.encrypt(states, got);
    for (let i = 0; i < blocks.length; i++) if (!Buffer.from(got[i]!).equals(want[i]!)) return false;
  }
  return true;
}
