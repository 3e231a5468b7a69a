// The AES-256 key expansion (FIPS-197 §5.2): 15 round keys of 16 bytes from a 32-byte key, and the
// equivalent inverse cipher's schedule (§5.3.5) for aesdec. Only our own AES-NI/VAES paths need them
// (aes-cbc-lanes.ts, aes-ctr-vaes.ts, aes-cbc-decrypt-vaes.ts keep round keys in JS memory);
// OpenSSL and node:crypto expand keys internally.
// Runs once per link, so clarity beats speed here.

/** The S-box, derived (multiplicative inverse in GF(2^8), then the affine map) rather than typed in. */
const SBOX: Uint8Array = (() => {
  const s = new Uint8Array(256);
  const rotl = (x: number, k: number): number => ((x << k) | (x >>> (8 - k))) & 0xff;
  let p = 1;
  let q = 1;
  // p walks the multiplicative group by ×3, q by ×3⁻¹, so q = p⁻¹ at every step
  do {
    p = p ^ ((p << 1) & 0xff) ^ (p & 0x80 ? 0x1b : 0);
    q ^= q << 1;
    q ^= q << 2;
    q ^= q << 4;
    q &= 0xff;
    if (q & 0x80) q ^= 0x09;
    s[p] = q ^ rotl(q, 1) ^ rotl(q, 2) ^ rotl(q, 3) ^ rotl(q, 4) ^ 0x63;
  } while (p !== 1);
  s[0] = 0x63;
  return s;
})();

export const AES256_ROUND_KEYS_BYTES = 240;

/** The 240-byte encryption key schedule of a 32-byte key (round key r at bytes 16r..16r+15). */
export function expandAes256Key(key: Uint8Array): Uint8Array {
  if (key.length !== 32) throw new RangeError("AES-256 needs a 32-byte key");
  const w = new Uint8Array(AES256_ROUND_KEYS_BYTES);
  w.set(key);
  let rcon = 1;
  for (let i = 32; i < AES256_ROUND_KEYS_BYTES; i += 4) {
    let t0 = w[i - 4]!;
    let t1 = w[i - 3]!;
    let t2 = w[i - 2]!;
    let t3 = w[i - 1]!;
    if (i % 32 === 0) {
      // RotWord, SubWord, Rcon
      const x = t0;
      t0 = SBOX[t1]! ^ rcon;
      t1 = SBOX[t2]!;
      t2 = SBOX[t3]!;
      t3 = SBOX[x]!;
      rcon = ((rcon << 1) ^ (rcon & 0x80 ? 0x1b : 0)) & 0xff;
    } else if (i % 32 === 16) {
      t0 = SBOX[t0]!;
      t1 = SBOX[t1]!;
      t2 = SBOX[t2]!;
      t3 = SBOX[t3]!;
    }
    w[i] = w[i - 32]! ^ t0;
    w[i + 1] = w[i - 31]! ^ t1;
    w[i + 2] = w[i - 30]! ^ t2;
    w[i + 3] = w[i - 29]! ^ t3;
  }
  return w;
}

/** GF(2^8) product with the AES polynomial x^8 + x^4 + x^3 + x + 1. */
function gmul(a: number, b: number): number {
  let p = 0;
  for (let i = 0; i < 8; i++) {
    if (b & 1) p ^= a;
    a = ((a << 1) ^ (a & 0x80 ? 0x1b : 0)) & 0xff;
    b >>= 1;
  }
  return p;
}

/**
 * The decryption schedule of the equivalent inverse cipher (FIPS-197 §5.3.5), in the order aesdec
 * uses it: round key 14 first, InvMixColumns of round keys 13..1, round key 0 last.
 */
export function inverseAes256Schedule(enc: Uint8Array): Uint8Array {
  if (enc.length !== AES256_ROUND_KEYS_BYTES) throw new RangeError("AES-256 needs a 240-byte key schedule");
  const dec = new Uint8Array(AES256_ROUND_KEYS_BYTES);
  for (let r = 0; r <= 14; r++) {
    const src = (14 - r) * 16;
    const dst = r * 16;
    if (r === 0 || r === 14) {
      dec.set(enc.subarray(src, src + 16), dst);
      continue;
    }
    for (let c = 0; c < 4; c++) {
      const [a0, a1, a2, a3] = [enc[src + 4 * c]!, enc[src + 4 * c + 1]!, enc[src + 4 * c + 2]!, enc[src + 4 * c + 3]!];
      dec[dst + 4 * c] = gmul(a0, 14) ^ gmul(a1, 11) ^ gmul(a2, 13) ^ gmul(a3, 9);
      dec[dst + 4 * c + 1] = gmul(a0, 9) ^ gmul(a1, 14) ^ gmul(a2, 11) ^ gmul(a3, 13);
      dec[dst + 4 * c + 2] = gmul(a0, 13) ^ gmul(a1, 9) ^ gmul(a2, 14) ^ gmul(a3, 11);
      dec[dst + 4 * c + 3] = gmul(a0, 11) ^ gmul(a1, 13) ^ gmul(a2, 9) ^ gmul(a3, 14);
    }
  }
  return dec;
}
