// The AES-256 key expansion (FIPS-197 §5.2): 15 round keys of 16 bytes from a 32-byte key. Only the
// multi-lane CBC encryptor needs it (aes-cbc-lanes.ts keeps its own round keys so several middle-end
// links can be encrypted in one interleaved pass); OpenSSL and node:crypto expand keys internally.
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
