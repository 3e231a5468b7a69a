// AES-256 CTR/CBC through the system libcrypto (OpenSSL 3) by bun:ffi, so a stream can encrypt in
// place: node:crypto returns a fresh buffer per update(), four per echoed middle-end message, and the
// garbage they make was ~15 % of the proxy's CPU. null (use node:crypto) when anything is missing.
import { dlopen, type Pointer } from "bun:ffi";

export type AesMode = "ctr" | "cbc-encrypt" | "cbc-decrypt";

/** One EVP_CIPHER_CTX. `outl` is a caller-owned 4-byte scratch for the length OpenSSL writes. */
export interface NativeAes {
  /** A fresh context keyed for `mode`, or null if OpenSSL refused. */
  create(mode: AesMode, key: Uint8Array, iv: Uint8Array): Pointer | null;
  /** EVP_CipherUpdate(ctx, out, &outl, input, input.length): the bytes written to `out`, -1 on error. */
  update(ctx: Pointer, out: Uint8Array, input: Uint8Array): number;
  free(ctx: Pointer): void;
}

const SONAMES = ["libcrypto.so.3", "libcrypto.so"];

/** Opens libcrypto and binds the few EVP calls. Never throws: null when unavailable. */
export function openNativeAes(env: Record<string, string | undefined> = process.env): NativeAes | null {
  if (env.MTPROXY_NATIVE_AES === "0" || process.platform !== "linux") return null;
  for (const name of SONAMES) {
    try {
      return bind(name);
    } catch {
      // next name, or none
    }
  }
  return null;
}

function bind(name: string): NativeAes {
  const lib = dlopen(name, {
    EVP_aes_256_ctr: { args: [], returns: "ptr" },
    EVP_aes_256_cbc: { args: [], returns: "ptr" },
    EVP_CIPHER_CTX_new: { args: [], returns: "ptr" },
    EVP_CIPHER_CTX_free: { args: ["ptr"], returns: "void" },
    EVP_CipherInit_ex: { args: ["ptr", "ptr", "ptr", "ptr", "ptr", "i32"], returns: "i32" },
    EVP_CIPHER_CTX_set_padding: { args: ["ptr", "i32"], returns: "i32" },
    EVP_CipherUpdate: { args: ["ptr", "ptr", "ptr", "ptr", "i32"], returns: "i32" },
  });
  const s = lib.symbols;
  const ctrCipher = s.EVP_aes_256_ctr();
  const cbcCipher = s.EVP_aes_256_cbc();
  if (!ctrCipher || !cbcCipher) throw new Error("no AES-256 in libcrypto");
  const outl = new Int32Array(1);
  return {
    create(mode, key, iv) {
      const ctx = s.EVP_CIPHER_CTX_new();
      if (!ctx || typeof ctx !== "number") return null;
      const enc = mode === "cbc-decrypt" ? 0 : 1;
      const ok = s.EVP_CipherInit_ex(ctx, mode === "ctr" ? ctrCipher : cbcCipher, null, key, iv, enc) === 1 && s.EVP_CIPHER_CTX_set_padding(ctx, 0) === 1;
      if (!ok) {
        s.EVP_CIPHER_CTX_free(ctx);
        return null;
      }
      return ctx;
    },
    update(ctx, out, input) {
      outl[0] = 0;
      return s.EVP_CipherUpdate(ctx, out, outl, input, input.length) === 1 ? outl[0]! : -1;
    },
    free(ctx) {
      s.EVP_CIPHER_CTX_free(ctx);
    },
  };
}
