// AES-256 streams over node:crypto (native, OpenSSL/BoringSSL).
// CTR: obfuscated2 client transport (client-side.md §2.3). CBC without padding, chained across
// calls: the middle-end link (backend-rpc.md §2.5).
import { createCipheriv, createDecipheriv, type Cipheriv, type Decipheriv } from "node:crypto";

/** A keystream that keeps its counter across calls; encrypt and decrypt are the same operation. */
export interface CtrStream {
  /** Returns a new buffer with `data` XORed with the next data.length keystream bytes. */
  update(data: Uint8Array): Buffer;
}

export function createAesCtr(key: Uint8Array, iv: Uint8Array): CtrStream {
  if (key.length !== 32 || iv.length !== 16) throw new RangeError("AES-256-CTR needs a 32-byte key and a 16-byte IV");
  const cipher = createCipheriv("aes-256-ctr", key, iv);
  return { update: (data) => cipher.update(data) };
}

/**
 * AES-256-CBC with padding disabled. The chain continues across `update` calls, so encrypting
 * a stream in pieces gives the same bytes as encrypting it at once. Input lengths that are not
 * multiples of 16 are held back inside the cipher until the block completes.
 */
export interface CbcStream {
  update(data: Uint8Array): Buffer;
}

export function createAesCbcEncryptor(key: Uint8Array, iv: Uint8Array): CbcStream {
  checkCbcArgs(key, iv);
  const cipher: Cipheriv = createCipheriv("aes-256-cbc", key, iv);
  cipher.setAutoPadding(false);
  return { update: (data) => cipher.update(data) };
}

export function createAesCbcDecryptor(key: Uint8Array, iv: Uint8Array): CbcStream {
  checkCbcArgs(key, iv);
  const decipher: Decipheriv = createDecipheriv("aes-256-cbc", key, iv);
  decipher.setAutoPadding(false);
  return { update: (data) => decipher.update(data) };
}

function checkCbcArgs(key: Uint8Array, iv: Uint8Array): void {
  if (key.length !== 32 || iv.length !== 16) throw new RangeError("AES-256-CBC needs a 32-byte key and a 16-byte IV");
}
