// Shared test helpers for the transport layer: hex, the generator's deterministic bytes, and a
// scripted RandomSource that replays the values the vectors fixed.
import { createHash } from "node:crypto";
import type { RandomSource } from "../../src/crypto/random.ts";
import vectors from "./vectors/client-vectors.json";

export const V = vectors;
export const unhex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ""), "hex");
export const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

/** client-vectors.mjs det(): SHA-512("label#i") blocks. */
export function det(label: string, n: number): Buffer {
  const out: Buffer[] = [];
  for (let i = 0, have = 0; have < n; i++) {
    const d = createHash("sha512").update(`${label}#${i}`).digest();
    out.push(d);
    have += d.length;
  }
  return Buffer.concat(out).subarray(0, n);
}

/** Replays scripted answers; throws when the code under test draws more than the vector fixed. */
export function scriptedRandom(script: { ints?: number[]; bytes?: Uint8Array[] }): RandomSource & { done(): boolean } {
  const ints = [...(script.ints ?? [])];
  const bytes = [...(script.bytes ?? [])];
  return {
    int(max) {
      const v = ints.shift();
      if (v === undefined) throw new Error("scripted random: no int left");
      if (v >= max) throw new Error(`scripted int ${v} >= ${max}`);
      return v;
    },
    bytes(n) {
      const b = bytes.shift();
      if (b === undefined) throw new Error("scripted random: no bytes left");
      if (b.length !== n) throw new Error(`scripted bytes: wanted ${n}, have ${b.length}`);
      return Buffer.from(b);
    },
    fill(dst, start, end) {
      dst.set(this.bytes(end - start), start);
    },
    done: () => ints.length === 0 && bytes.length === 0,
  };
}

export const SECRET = unhex(V.secretHex);
