// One-shot digests and HMAC over Bun.CryptoHasher (the fastest path in Bun, BUN-NOTES.md).
type Bytes = Uint8Array;

function concat(parts: Bytes[]): Bytes {
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

export function sha256(...parts: Bytes[]): Buffer {
  return Buffer.from(Bun.CryptoHasher.hash("sha256", concat(parts)) as Uint8Array);
}

export function sha1(...parts: Bytes[]): Buffer {
  return Buffer.from(Bun.CryptoHasher.hash("sha1", concat(parts)) as Uint8Array);
}

export function md5(...parts: Bytes[]): Buffer {
  return Buffer.from(Bun.CryptoHasher.hash("md5", concat(parts)) as Uint8Array);
}

export function md5Hex(data: Bytes): string {
  return md5(data).toString("hex");
}

export function hmacSha256(key: Bytes, ...parts: Bytes[]): Buffer {
  const h = new Bun.CryptoHasher("sha256", key);
  for (const p of parts) h.update(p);
  return Buffer.from(h.digest() as Uint8Array);
}
