// Injectable randomness (STYLE.md "No hidden global state"): production uses the OS CSPRNG,
// tests and vectors pass a deterministic source.
import { randomBytes, randomInt } from "node:crypto";

export interface RandomSource {
  bytes(n: number): Buffer;
  /** Uniform integer in [0, maxExclusive). */
  int(maxExclusive: number): number;
}

export const systemRandom: RandomSource = {
  bytes: (n) => randomBytes(n),
  int: (maxExclusive) => (maxExclusive <= 1 ? 0 : randomInt(maxExclusive)),
};

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
    int(maxExclusive) {
      return maxExclusive <= 1 ? 0 : next() % maxExclusive;
    },
  };
}
