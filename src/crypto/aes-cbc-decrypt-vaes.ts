// AES-256-CBC decryption (the middle-end link's inbound stream, backend-rpc.md §2.5) with VAES on
// 256-bit registers through bun:ffi's TinyCC. Unlike encryption, CBC decryption is parallel: plain
// block i = D(cipher i) ^ cipher i-1, so sixteen blocks (eight ymm registers) go through the rounds
// together, about twice OpenSSL's 128-bit AES-NI loop here. In place, the buffer is walked from its
// end: a block's predecessor is still ciphertext when it is needed. null (callers use OpenSSL) on CPUs
// without VAES/AVX2, with MTPROXY_NATIVE_CBC_DECRYPT=0, or when the self-check against node:crypto fails.
import { createDecipheriv } from "node:crypto";
import { expandAes256Key, inverseAes256Schedule } from "./aes-key-schedule.ts";
import { compileC, cpuFeatures } from "./tinycc.ts";
import { asmBytes, broadcastRoundKey as roundKey, forRegisters as each, GPR, vexAsm as ins, VZEROUPPER } from "./vex.ts";

/** A stream's chaining state, caller-owned: the decryption schedule (240 bytes) and the iv (16). */
export interface CbcDecryptState {
  readonly roundKeys: Uint8Array;
  readonly iv: Uint8Array;
}

export interface VaesCbcDecrypt {
  state(key: Uint8Array, iv: Uint8Array): CbcDecryptState;
  /** Decrypts whole 16-byte blocks of `data` in place and advances the state's iv. */
  decryptInPlace(state: CbcDecryptState, data: Uint8Array): void;
}

const STATES = 8;

/** `n` registers of two blocks at rsi, rsi+32, …: rounds, then ^ the blocks 16 bytes before each, then
 * stored; every load happens before the first store. */
const body = (n: number): string =>
  [
    each(n, (j) => ins("vmovdquLoad", j, -1, { base: GPR.rsi, disp: j * 32 })),
    roundKey(0),
    each(n, (j) => ins("vpxor", j, j, { ymm: 8 })),
    ...Array.from({ length: 13 }, (_, r) => roundKey(r + 1) + " " + each(n, (j) => ins("vaesdec", j, j, { ymm: 8 }))),
    roundKey(14),
    each(n, (j) => ins("vaesdeclast", j, j, { ymm: 8 })),
    each(n, (j) => ins("vpxor", j, j, { base: GPR.rsi, disp: j * 32 - 16 })),
    each(n, (j) => ins("vmovdquStore", j, -1, { base: GPR.rsi, disp: j * 32 })),
  ].join("\n    ");

/* a[0]: decryption schedule; a[1]: the LAST unit's first block; a[2]: units; walks back `stride` a unit. */
const walker = (name: string, n: number): string => String.raw`
static void ${name}(u64 *a) {
  __asm__ volatile(
    "movq (%%rdi), %%rax\n\t movq 8(%%rdi), %%rsi\n\t movq 16(%%rdi), %%rcx\n\t"
    "test %%rcx, %%rcx\n\t jz 2f\n\t"
    "1:\n\t"
    ${body(n)}
    "sub $${n * 32}, %%rsi\n\t dec %%rcx\n\t jnz 1b\n\t"
    "2:\n\t"
    ${asmBytes(VZEROUPPER)}
    : : "D"(a) : "memory", "rax", "rcx", "rsi");
}`;

const SOURCE = String.raw`
typedef unsigned long long u64;
typedef unsigned char u8;
${walker("steps_back", STATES)}
${walker("pairs_back", 1)}

static void copy16(u8 *d, const u8 *s) {
  ((u64 *)d)[0] = ((const u64 *)s)[0];
  ((u64 *)d)[1] = ((const u64 *)s)[1];
}

/* One block whose predecessor is prev: through a pair on a scratch [prev | block | block]. */
static void single(const u8 *keys, u8 *block, const u8 *prev) {
  u8 t[48];
  u64 a[3];
  copy16(t, prev);
  copy16(t + 16, block);
  copy16(t + 32, block);
  a[0] = (u64)keys;
  a[1] = (u64)(t + 16);
  a[2] = 1;
  pairs_back(a);
  copy16(block, t + 16);
}

/* Blocks 0 and 1 (or block 0 alone when one = 1): through a pair on a scratch [iv | block 0 | block 1]. */
static void head(const u8 *keys, u8 *d, const u8 *iv, int one) {
  u8 t[48];
  u64 a[3];
  copy16(t, iv);
  copy16(t + 16, d);
  copy16(t + 32, one ? d : d + 16);
  a[0] = (u64)keys;
  a[1] = (u64)(t + 16);
  a[2] = 1;
  pairs_back(a);
  copy16(d, t + 16);
  if (!one) copy16(d + 16, t + 32);
}

/* Blocks 0..n-1 of d in place; iv (16 bytes) is block 0's predecessor and becomes block n-1's cipher. */
int mtp_cbc_decrypt(const u8 *keys, u8 *iv, u8 *d, int n) {
  u8 last[16];
  u64 a[3], rest, steps, tail, pairs;
  if (n <= 0) return 0;
  copy16(last, d + 16 * (n - 1));
  if (n == 1) {
    head(keys, d, iv, 1);
    copy16(iv, last);
    return 0;
  }
  a[0] = (u64)keys;
  /* blocks 2..n-1: whole steps of 16 from the end, then pairs, then a lone block 2 (whose
     predecessor, block 1, is still ciphertext), then blocks 0 and 1 with the iv */
  rest = (u64)n - 2;
  steps = rest / ${STATES * 2};
  tail = rest % ${STATES * 2};
  if (steps > 0) {
    a[1] = (u64)(d + 16 * ((u64)n - ${STATES * 2}));
    a[2] = steps;
    steps_back(a);
  }
  pairs = tail / 2;
  if (pairs > 0) {
    a[1] = (u64)(d + 16 * tail);
    a[2] = pairs;
    pairs_back(a);
  }
  if (tail & 1) single(keys, d + 32, d + 16);
  head(keys, d, iv, 0);
  copy16(iv, last);
  return 0;
}
`;

/** Loads, compiles and self-checks the VAES decryptor. Never throws. */
export function openVaesCbcDecrypt(env: Record<string, string | undefined> = process.env): VaesCbcDecrypt | null {
  if (process.arch !== "x64" || env.MTPROXY_NATIVE_CBC_DECRYPT === "0") return null;
  if (!cpuFeatures().vaesAvx2) return null;
  try {
    const lib = compileC("cbc-decrypt-vaes", SOURCE, {
      mtp_cbc_decrypt: { args: ["ptr", "ptr", "ptr", "i32"], returns: "i32" },
    });
    const run = lib.symbols.mtp_cbc_decrypt;
    const dec: VaesCbcDecrypt = {
      state(key, iv) {
        if (key.length !== 32 || iv.length !== 16) throw new RangeError("AES-256-CBC needs a 32-byte key and a 16-byte IV");
        return { roundKeys: inverseAes256Schedule(expandAes256Key(key)), iv: Uint8Array.from(iv) };
      },
      decryptInPlace(st, data) {
        if (data.length & 15) throw new RangeError("CBC decryption needs whole 16-byte blocks");
        if (data.length === 0) return;
        run(st.roundKeys, st.iv, data, data.length >>> 4);
      },
    };
    return selfCheck(dec) ? dec : null;
  } catch {
    return null;
  }
}

/** Every block count from 1 to 40 (lone blocks, pairs, whole steps and all their mixes), then a long
 * run, each continuing the same chain, against node:crypto. */
function selfCheck(dec: VaesCbcDecrypt): boolean {
  const key = Uint8Array.from({ length: 32 }, (_, i) => (i * 41 + 9) & 0xff);
  const iv = Uint8Array.from({ length: 16 }, (_, i) => (i * 23 + 1) & 0xff);
  const counts = [...Array.from({ length: 40 }, (_, i) => i + 1), 1000];
  const total = counts.reduce((s, n) => s + n * 16, 0);
  const cipher = Uint8Array.from({ length: total }, (_, i) => (i * 151 + 3) & 0xff);
  const ref = createDecipheriv("aes-256-cbc", key, iv);
  ref.setAutoPadding(false);
  const want = ref.update(cipher);
  const st = dec.state(key, iv);
  const got = Uint8Array.from(cipher);
  let at = 0;
  for (const n of counts) {
    dec.decryptInPlace(st, got.subarray(at, at + n * 16));
    at += n * 16;
  }
  return Buffer.from(got).equals(want);
}
