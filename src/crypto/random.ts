// Injectable randomness (STYLE.md "No hidden global state"): production uses the OS CSPRNG,
// tests and vectors pass a deterministic source.
import { randomBytes, randomFillSync, randomInt } from "node:crypto";

export interface RandomSource {
  bytes(n: number): Buffer;
  /** Writes random bytes over dst[start, end) (padding: no buffer per call). */
  fill(dst: Uint8Array, start: number, end: number): void;
  /** Uniform integer in [0, maxExclusive). */
  int(maxExclusive: number): number;
}

/** Draws of at most this many bytes, and ints below 256, come from a pool the CSPRNG refills. */
const POOLED_MAX = 64;
const POOL_BYTES = 4096;

/**
 * The OS CSPRNG. Padded (dd) and fake-TLS (ee) answers draw 0..3 padding bytes and their count for
 * every packet: one randomInt() plus one randomBytes() cost ~390 ns and a buffer each, a pooled
 * draw ~13 ns. The pool is this process's alone (workers are spawned, not forked).
 */
class SystemRandom implements RandomSource {
  readonly #pool = Buffer.allocUnsafe(POOL_BYTES);
  #pos = POOL_BYTES;

  bytes(n: number): Buffer {
    if (n > POOLED_MAX) return randomBytes(n);
    const out = Buffer.allocUnsafe(n);
    this.fill(out, 0, n);
    return out;
  }

  fill(dst: Uint8Array, start: number, end: number): void {
    const n = end - start;
    if (n > POOLED_MAX) {
      randomFillSync(dst, start, n);
      return;
    }
    if (this.#pos + n > POOL_BYTES) this.#refill();
    this.#pool.copy(dst, start, this.#pos, this.#pos + n);
    this.#pos += n;
  }

  int(maxExclusive: number): number {
    if (maxExclusive <= 1) return 0;
    if (maxExclusive > 256) return randomInt(maxExclusive);
    // rejection sampling: the largest multiple of maxExclusive that fits in a byte keeps it uniform
    const limit = 256 - (256 % maxExclusive);
    for (;;) {
      if (this.#pos === POOL_BYTES) this.#refill();
      const b = this.#pool[this.#pos++]!;
      if (b < limit) return b % maxExclusive;
    }
  }

  #refill(): void {
    randomFillSync(this.#pool);
    this.#pos = 0;
  }
}

export const systemRandom: RandomSource = new SystemRandom();

/** Deterministic xorshift128+ source for tests and benchmarks. Not for production keys. */
export function seededRandom(seed: number): RandomSource {
  let s0 = (seed >>> 0) ^ 0x9e3779b9;
  let s1 = Math.imul(seed >>> 0, 0x85ebca6b) ^ 0xc2b2ae35;
  const next = (): number => {
    let x = s0;
    const y = s1;
    s0 = y;
    x ^= x << 23;
    x ^= x >>> 17;
    x ^= y ^ (y >>> 26);
    s1 = x;
    return (s0 + s1) >>> 0;
  };
  return {
    bytes(n) {
      const out = Buffer.allocUnsafe(n);
      for (let i = 0; i < n; i++) out[i] = next() & 0xff;
      return out;
    },
    fill(dst, start, end) {
      for (let i = start; i < end; i++) dst[i] = next() & 0xff;
    },
    int(maxExclusive) {
      return maxExclusive <= 1 ? 0 : next() % maxExclusive;
    },
  };
}
