// Seeded input generators for the fuzz targets: random bytes, structure-aware mutations of valid
// inputs (bit flips, inserts, deletes, truncations, splices, length-field extremes) and random
// chunkings. Every input is a pure function of (seed, index), so a failure replays exactly.
import { seededRandom, type RandomSource } from "../../src/crypto/random.ts";

export type Rng = RandomSource;

/** A well-mixed per-input seed (murmur3 finaliser), so neighbouring indexes share no state. */
export function inputSeed(seed: number, index: number): number {
  let h = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(index >>> 0, 0x85ebca77)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export function rngFor(seed: number, index: number): Rng {
  return seededRandom(inputSeed(seed, index));
}

export const pick = <T>(rng: Rng, list: readonly T[]): T => list[rng.int(list.length)]!;
export const chance = (rng: Rng, percent: number): boolean => rng.int(100) < percent;

/** Lengths skewed small (most decoders decide in the first bytes) with a long tail up to `max`. */
export function randomLength(rng: Rng, max = 4096): number {
  const r = rng.int(100);
  if (r < 40) return rng.int(Math.min(max, 16) + 1);
  if (r < 75) return rng.int(Math.min(max, 128) + 1);
  if (r < 95) return rng.int(Math.min(max, 1024) + 1);
  return rng.int(max + 1);
}

export function randomBytes(rng: Rng, max = 4096): Uint8Array {
  return rng.bytes(randomLength(rng, max));
}

/** Values that break length arithmetic: 0, 1, sign and width edges, 2^24-1, all ones. */
export const EXTREMES = [0, 1, 2, 3, 4, 0x7e, 0x7f, 0x80, 0xfe, 0xff, 0x100, 0xffff, 0xffffff, 0x1000000, 0x3fffffff, 0x40000000, 0x7fffffff, 0x80000000, 0xffffffff, 1_044_480, 1_044_481];

function writeExtreme(rng: Rng, b: Uint8Array, off: number): void {
  const v = pick(rng, EXTREMES);
  const width = pick(rng, [1, 2, 3, 4]);
  const bigEndian = chance(rng, 40);
  for (let i = 0; i < width && off + i < b.length; i++) {
    const shift = 8 * (bigEndian ? width - 1 - i : i);
    b[off + i] = shift >= 32 ? 0 : (v >>> shift) & 0xff;
  }
}

const concat = (parts: Uint8Array[]): Uint8Array => Buffer.concat(parts);

/** One mutation of `src` (never modified); `others` are splice donors. */
export function mutateOnce(rng: Rng, src: Uint8Array, others: readonly Uint8Array[] = []): Uint8Array {
  const n = src.length;
  const at = (extra = 0): number => rng.int(n + extra);
  switch (rng.int(10)) {
    case 0: {
      // bit flips
      const b = Uint8Array.from(src);
      for (let k = 1 + rng.int(4); k > 0 && n > 0; k--) b[at()]! ^= 1 << rng.int(8);
      return b;
    }
    case 1: {
      // random byte values
      const b = Uint8Array.from(src);
      for (let k = 1 + rng.int(4); k > 0 && n > 0; k--) b[at()] = rng.int(256);
      return b;
    }
    case 2: {
      // insertion
      const p = at(1);
      return concat([src.subarray(0, p), rng.bytes(1 + rng.int(chance(rng, 80) ? 8 : 300)), src.subarray(p)]);
    }
    case 3: {
      // deletion
      if (n === 0) return src;
      const p = at();
      return concat([src.subarray(0, p), src.subarray(p + 1 + rng.int(Math.min(64, n - p)))]);
    }
    case 4:
      // truncation
      return src.subarray(0, at());
    case 5: {
      // splice: our head with the tail of a donor (or of ourselves)
      const donor = others.length > 0 && chance(rng, 70) ? pick(rng, others) : src;
      return concat([src.subarray(0, at(1)), donor.subarray(rng.int(donor.length + 1))]);
    }
    case 6: {
      // duplicate a range (repeated frames, repeated headers)
      if (n === 0) return src;
      const p = at();
      const q = p + 1 + rng.int(Math.min(256, n - p));
      return concat([src.subarray(0, q), src.subarray(p, q), src.subarray(q)]);
    }
    case 7:
    case 8: {
      // a length field (or any field) set to an extreme, preferring the first 16 bytes
      const b = Uint8Array.from(src);
      if (n > 0) writeExtreme(rng, b, chance(rng, 50) ? rng.int(Math.min(n, 16)) : at());
      return b;
    }
    default: {
      // random tail appended
      return concat([src, rng.bytes(1 + rng.int(64))]);
    }
  }
}

/** 1..4 stacked mutations. */
export function mutate(rng: Rng, src: Uint8Array, others: readonly Uint8Array[] = []): Uint8Array {
  let b = src;
  for (let k = 1 + rng.int(chance(rng, 70) ? 2 : 4); k > 0; k--) b = mutateOnce(rng, b, others);
  return b;
}

/** Mutates only the bytes after `keep`, so a valid head (a ClientHello) still reaches later states. */
export function mutateAfter(rng: Rng, src: Uint8Array, keep: number, others: readonly Uint8Array[] = []): Uint8Array {
  return concat([src.subarray(0, keep), mutate(rng, src.subarray(keep), others)]);
}

/**
 * The usual input mix: valid seeds as they are (a few), mutated seeds (most), pure random bytes.
 * `random` draws come from a prefix of a valid seed now and then, to get past magic bytes.
 */
export function bytesInput(rng: Rng, seeds: readonly Uint8Array[], maxRandom = 4096): Uint8Array {
  const r = rng.int(100);
  if (r < 5 || seeds.length === 0) return randomBytes(rng, maxRandom);
  const seed = pick(rng, seeds);
  if (r < 10) return seed;
  if (r < 15) return concat([seed.subarray(0, rng.int(Math.min(seed.length, 16) + 1)), randomBytes(rng, maxRandom)]);
  return mutate(rng, seed, seeds);
}

/** Sorted cut points in (0, length): none, a few, or (for short inputs) every byte. */
export function randomSplits(rng: Rng, length: number): number[] {
  if (length < 2) return [];
  if (length <= 96 && chance(rng, 10)) return Array.from({ length: length - 1 }, (_, i) => i + 1);
  const k = 1 + rng.int(Math.min(8, length - 1));
  const cuts = new Set<number>();
  for (let i = 0; i < k; i++) cuts.add(1 + rng.int(length - 1));
  return [...cuts].sort((a, b) => a - b);
}

/** `b` cut at `splits` (views). */
export function chunksOf(b: Uint8Array, splits: readonly number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const s of splits) {
    out.push(b.subarray(prev, s));
    prev = s;
  }
  out.push(b.subarray(prev));
  return out;
}

/** A hex dump, 32 bytes a line with offsets, capped so a huge input does not flood the log. */
export function hexDump(b: Uint8Array, maxBytes = 4096): string {
  const lines: string[] = [];
  const n = Math.min(b.length, maxBytes);
  for (let o = 0; o < n; o += 32) {
    lines.push(`${o.toString(16).padStart(6, "0")}  ${Buffer.from(b.subarray(o, Math.min(o + 32, n))).toString("hex")}`);
  }
  if (b.length > n) lines.push(`... ${b.length - n} more bytes`);
  return lines.join("\n");
}
