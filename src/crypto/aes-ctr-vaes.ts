// AES-256-CTR (the obfuscated2 client stream, client-side.md §2.3; OpenSSL's CTR128: a 128-bit
// big-endian counter) with VAES on 256-bit registers through bun:ffi's TinyCC: 16 blocks per step,
// eight ymm registers of two blocks each, one round key broadcast for all eight. OpenSSL 3's CTR on
// this kind of CPU stays on 128-bit AES-NI (~6.5 GB/s here); this runs at about twice that, and CTR
// runs twice per echoed client message (decrypt in, encrypt out). null (callers use OpenSSL) on CPUs
// without VAES/AVX2, with MTPROXY_NATIVE_CTR=0, or when the self-check against node:crypto fails.
import { ptr } from "bun:ffi";
import { createCipheriv } from "node:crypto";
import { AES256_ROUND_KEYS_BYTES, expandAes256Key } from "./aes-key-schedule.ts";
import { compileC, cpuFeatures } from "./tinycc.ts";
import { asmBytes, broadcastRoundKey as roundKey, forRegisters, GPR, vexAsm as ins, VZEROUPPER } from "./vex.ts";

/**
 * One stream's state, caller-owned: round keys, the counter as a little-endian 128-bit number
 * (the big-endian IV reversed), the current keystream block and how many of its bytes are used.
 */
export const CTR_STATE_BYTES = 288;
const COUNTER_AT = AES256_ROUND_KEYS_BYTES; // 240: lo u64, hi u64
const KEYSTREAM_AT = COUNTER_AT + 16; // 256
const USED_AT = KEYSTREAM_AT + 16; // 272: u32, 0 = no keystream block held

export interface VaesCtr {
  /** A fresh state for `key`/`iv`. */
  state(key: Uint8Array, iv: Uint8Array): Uint8Array;
  /** XORs `data` in place with the stream's next data.length keystream bytes. */
  xorInPlace(state: Uint8Array, data: Uint8Array): void;
}

// ---- the 16-block step, spelled as bytes (crypto/vex.ts) ----
// rax: round keys; rsi: data; rcx: steps; rdx: constants; ymm14: the counter in both lanes (little
// endian); ymm15: the byte-reverse mask; ymm8: the round key of the moment; ymm0..7: the blocks.
const STATES = 8;
const CONST_SWAP = 0; // 32 bytes: reverse each 16-byte lane
const CONST_LANE = 32; // 8 × 32 bytes: state i adds 2i to lane 0 and 2i+1 to lane 1
const CONST_STEP = CONST_LANE + STATES * 32; // 288: both lanes +16
const CONST_PAIR_STEP = CONST_STEP + 32; // 320: both lanes +2
const CONST_BYTES = CONST_PAIR_STEP + 32;

const each = (f: (i: number) => string): string => forRegisters(STATES, f);

const STEP_BODY = [
  each((i) => ins("vpaddq", i, 14, { base: GPR.rdx, disp: CONST_LANE + i * 32 }) + " " + ins("vpshufb", i, i, { ymm: 15 })),
  roundKey(0),
  each((i) => ins("vpxor", i, i, { ymm: 8 })),
  ...Array.from({ length: 13 }, (_, r) => roundKey(r + 1) + " " + each((i) => ins("vaesenc", i, i, { ymm: 8 }))),
  roundKey(14),
  each((i) => ins("vaesenclast", i, i, { ymm: 8 })),
  each((i) => ins("vpxor", i, i, { base: GPR.rsi, disp: i * 32 }) + " " + ins("vmovdquStore", i, -1, { base: GPR.rsi, disp: i * 32 })),
  ins("vpaddq", 14, 14, { base: GPR.rdx, disp: CONST_STEP }),
].join("\n    ");

const PROLOGUE = [
  `"push %%rbx\\n\\t"`,
  `"movq (%%rdi), %%rax\\n\\t movq 8(%%rdi), %%rsi\\n\\t movq 16(%%rdi), %%rcx\\n\\t movq 24(%%rdi), %%rbx\\n\\t movq 32(%%rdi), %%rdx\\n\\t"`,
  ins("vbroadcasti128", 14, -1, { base: GPR.rbx, disp: 0 }),
  ins("vmovdquLoad", 15, -1, { base: GPR.rdx, disp: CONST_SWAP }),
  `"test %%rcx, %%rcx\\n\\t jz 2f\\n\\t"`,
  `"1:\\n\\t"`,
].join("\n    ");
const EPILOGUE = [`"2:\\n\\t"`, asmBytes(VZEROUPPER), `"pop %%rbx\\n\\t"`].join("\n    ");

// The same rounds on one register (two blocks) a pass: the tails, where a 16-block step would be waste.
const PAIR_BODY = [
  ins("vpaddq", 0, 14, { base: GPR.rdx, disp: CONST_LANE }) + " " + ins("vpshufb", 0, 0, { ymm: 15 }),
  roundKey(0) + " " + ins("vpxor", 0, 0, { ymm: 8 }),
  ...Array.from({ length: 13 }, (_, r) => roundKey(r + 1) + " " + ins("vaesenc", 0, 0, { ymm: 8 })),
  roundKey(14) + " " + ins("vaesenclast", 0, 0, { ymm: 8 }),
  ins("vpxor", 0, 0, { base: GPR.rsi, disp: 0 }) + " " + ins("vmovdquStore", 0, -1, { base: GPR.rsi, disp: 0 }),
  ins("vpaddq", 14, 14, { base: GPR.rdx, disp: CONST_PAIR_STEP }),
].join("\n    ");

const SOURCE = String.raw`
typedef unsigned long long u64;
typedef unsigned int u32;
typedef unsigned char u8;

/* a[0]: round keys; a[1]: data; a[2]: steps of 16 blocks; a[3]: counter (lo, hi), not advanced here;
   a[4]: constants. The caller guarantees no lane's low word wraps within the a[2] steps. */
static void steps(u64 *a) {
  __asm__ volatile(
    ${PROLOGUE}
    ${STEP_BODY}
    "add $256, %%rsi\n\t dec %%rcx\n\t jnz 1b\n\t"
    ${EPILOGUE}
    : : "D"(a) : "memory", "rax", "rcx", "rdx", "rsi");
}

/* The same with a[2] passes of two blocks. */
static void pairs(u64 *a) {
  __asm__ volatile(
    ${PROLOGUE}
    ${PAIR_BODY}
    "add $32, %%rsi\n\t dec %%rcx\n\t jnz 1b\n\t"
    ${EPILOGUE}
    : : "D"(a) : "memory", "rax", "rcx", "rdx", "rsi");
}

static void advance(u64 *ctr, u64 blocks) {
  u64 lo = ctr[0] + blocks;
  if (lo < ctr[0]) ctr[1]++;
  ctr[0] = lo;
}

/* The next n (1..16) keystream blocks into ks (256 bytes), the counter not advanced. Where a lane's
   low word would wrap, block by block with the carry done here. */
static void keystream(u8 *st, u8 *ks, u64 n, const u8 *k) {
  u64 *ctr = (u64 *)(st + ${COUNTER_AT});
  u64 a[5], one[2], tmp[4], i, p = (n + 1) / 2;
  for (i = 0; i < p * 4; i++) ((u64 *)ks)[i] = 0;
  a[0] = (u64)st;
  a[4] = (u64)k;
  if (ctr[0] <= ~(u64)0 - 15) {
    a[1] = (u64)ks;
    a[2] = p;
    a[3] = (u64)ctr;
    pairs(a);
    return;
  }
  for (i = 0; i < n; i++) {
    tmp[0] = tmp[1] = tmp[2] = tmp[3] = 0;
    one[0] = ctr[0] + i;
    one[1] = ctr[1] + (one[0] < ctr[0] ? 1 : 0);
    a[1] = (u64)tmp;
    a[2] = 1;
    a[3] = (u64)one;
    pairs(a);
    ((u64 *)ks)[2 * i] = tmp[0];
    ((u64 *)ks)[2 * i + 1] = tmp[1];
  }
}

static void xor_bytes(u8 *d, const u8 *s, u64 n) {
  while (n >= 8) {
    *(u64 *)d ^= *(const u64 *)s;
    d += 8;
    s += 8;
    n -= 8;
  }
  while (n > 0) {
    *d++ ^= *s++;
    n--;
  }
}

int mtp_ctr_xor(u8 *st, u8 *d, int len, const u8 *k) {
  u64 n = (u64)(unsigned)len;
  u64 *ctr = (u64 *)(st + ${COUNTER_AT});
  u8 *held = st + ${KEYSTREAM_AT};
  u32 *used = (u32 *)(st + ${USED_AT});
  u8 ks[256];
  u64 a[5];
  if (*used != 0) {
    u64 take = 16 - *used;
    if (take > n) take = n;
    xor_bytes(d, held + *used, take);
    d += take;
    n -= take;
    *used = (*used + take) & 15;
  }
  while (n >= 32) {
    /* passes of two blocks before a lane's low word would wrap */
    u64 room = ctr[0] == 0 ? ~(u64)0 : (0 - ctr[0]) / 2, passes = n / 32, whole;
    if (room == 0) {
      keystream(st, ks, 2, k);
      xor_bytes(d, ks, 32);
      advance(ctr, 2);
      d += 32;
      n -= 32;
      continue;
    }
    if (passes > room) passes = room;
    a[0] = (u64)st;
    a[3] = (u64)ctr;
    a[4] = (u64)k;
    whole = passes / 8;
    if (whole > 0) {
      a[1] = (u64)d;
      a[2] = whole;
      steps(a);
      advance(ctr, whole * 16);
      d += whole * 256;
      n -= whole * 256;
      passes -= whole * 8;
    }
    if (passes > 0) {
      a[1] = (u64)d;
      a[2] = passes;
      pairs(a);
      advance(ctr, passes * 2);
      d += passes * 32;
      n -= passes * 32;
    }
  }
  if (n > 0) {
    u64 blocks = (n + 15) / 16, whole = n / 16, i;
    keystream(st, ks, blocks, k);
    xor_bytes(d, ks, n);
    advance(ctr, blocks);
    if (n & 15) {
      for (i = 0; i < 16; i++) held[i] = ks[whole * 16 + i];
      *used = n & 15;
    }
  }
  return 0;
}
`;

/** Loads, compiles and self-checks the VAES stream. Never throws. */
export function openVaesCtr(env: Record<string, string | undefined> = process.env): VaesCtr | null {
  if (process.arch !== "x64" || env.MTPROXY_NATIVE_CTR === "0") return null;
  if (!cpuFeatures().vaesAvx2) return null;
  try {
    const lib = compileC("ctr-vaes", SOURCE, {
      mtp_ctr_xor: { args: ["ptr", "ptr", "i32", "ptr"], returns: "i32" },
    });
    const run = lib.symbols.mtp_ctr_xor;
    const consts = buildConstants(); // its .buffer was read there, so its bytes no longer move
    const constsPtr = ptr(consts);
    keepAlive.push(consts); // read by the native code through constsPtr for the life of the process
    const ctr: VaesCtr = {
      state(key, iv) {
        if (key.length !== 32 || iv.length !== 16) throw new RangeError("AES-256-CTR needs a 32-byte key and a 16-byte IV");
        const st = new Uint8Array(CTR_STATE_BYTES);
        st.set(expandAes256Key(key));
        for (let j = 0; j < 16; j++) st[COUNTER_AT + j] = iv[15 - j]!; // big-endian IV → little-endian counter
        return st;
      },
      xorInPlace(st, data) {
        if (st.length !== CTR_STATE_BYTES) throw new RangeError("bad CTR state");
        if (data.length === 0) return;
        run(st, data, data.length, constsPtr);
      },
    };
    return selfCheck(ctr) ? ctr : null;
  } catch {
    return null;
  }
}

const keepAlive: Uint8Array[] = [];

function buildConstants(): Uint8Array {
  const c = new Uint8Array(CONST_BYTES);
  const v = new DataView(c.buffer);
  for (let lane = 0; lane < 2; lane++) for (let j = 0; j < 16; j++) c[CONST_SWAP + lane * 16 + j] = 15 - j;
  for (let i = 0; i < STATES; i++) {
    v.setBigUint64(CONST_LANE + i * 32, BigInt(2 * i), true);
    v.setBigUint64(CONST_LANE + i * 32 + 16, BigInt(2 * i + 1), true);
  }
  v.setBigUint64(CONST_STEP, 16n, true);
  v.setBigUint64(CONST_STEP + 16, 16n, true);
  v.setBigUint64(CONST_PAIR_STEP, 2n, true);
  v.setBigUint64(CONST_PAIR_STEP + 16, 2n, true);
  return c;
}

/** Streams cut at odd points (held keystream bytes, tails, whole steps) and counters about to carry
 * out of the low word and out of all 128 bits, against node:crypto. */
function selfCheck(ctr: VaesCtr): boolean {
  const key = Uint8Array.from({ length: 32 }, (_, i) => (i * 29 + 3) & 0xff);
  const ivs = [
    Uint8Array.from({ length: 16 }, (_, i) => (i * 53 + 5) & 0xff),
    Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xf9]),
    new Uint8Array(16).fill(0xff),
  ];
  const data = Uint8Array.from({ length: 20_000 }, (_, i) => (i * 131 + 7) & 0xff);
  for (const iv of ivs) {
    const ref = createCipheriv("aes-256-ctr", key, iv);
    const want = ref.update(data);
    const st = ctr.state(key, iv);
    const got = Uint8Array.from(data);
    let at = 0;
    for (const cut of [1, 15, 16, 17, 255, 256, 257, 4096, 5, 600, 9000]) {
      ctr.xorInPlace(st, got.subarray(at, at + cut));
      at += cut;
    }
    ctr.xorInPlace(st, got.subarray(at));
    if (!Buffer.from(got).equals(want)) return false;
  }
  return true;
}
