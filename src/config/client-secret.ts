// Client secret forms (client-side.md §1.2): plain 16 bytes, `dd` + 16, `ee` + 16 + domain.
// Text is read as tdlib's ProxySecret::from_link does (hex, else base64url, else base64) and the
// server only ever sees the 16-byte key; the prefixes are instructions to the client.
import type { RandomSource } from "../crypto/random.ts";

export type SecretMode = "plain" | "dd" | "ee";

export interface ClientSecret {
  readonly mode: SecretMode;
  /** The 16 bytes the server is started with (`-S`). */
  readonly key: Uint8Array;
  /** The fake-TLS SNI for `ee`, else null. */
  readonly domain: string | null;
}

export type SecretEncoding = "hex" | "base64url";

export const SECRET_KEY_BYTES = 16;
/** tdlib's MAX_DOMAIN_LENGTH: longer `ee` secrets are rejected by the apps. */
export const MAX_DOMAIN_LENGTH = 182;

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();

function decodeHex(text: string): Uint8Array | null {
  if (text.length === 0 || text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) return null;
  return Uint8Array.from(Buffer.from(text, "hex"));
}

function decodeBase64(text: string, url: boolean): Uint8Array | null {
  const body = text.replace(/={1,2}$/, "");
  const alphabet = url ? /^[A-Za-z0-9_-]*$/ : /^[A-Za-z0-9+/]*$/;
  if (body.length === 0 || body.length % 4 === 1 || !alphabet.test(body)) return null;
  if (body.length !== text.length && text.length % 4 !== 0) return null;
  return Uint8Array.from(Buffer.from(body, url ? "base64url" : "base64"));
}

/** Secret text → bytes, trying hex, base64url, then standard base64 (tdlib's order). */
export function decodeSecretText(text: string): Uint8Array | null {
  return decodeHex(text) ?? decodeBase64(text, true) ?? decodeBase64(text, false);
}

/** tdlib ProxySecret::from_binary: classify decoded bytes. */
export function classifySecretBytes(bytes: Uint8Array): { ok: true; secret: ClientSecret } | { ok: false; error: string } {
  if (bytes.length > 1 + SECRET_KEY_BYTES + MAX_DOMAIN_LENGTH) return { ok: false, error: "secret too long" };
  if (bytes.length === SECRET_KEY_BYTES) {
    return { ok: true, secret: Object.freeze({ mode: "plain", key: Uint8Array.from(bytes), domain: null }) };
  }
  const key = Uint8Array.from(bytes.subarray(1, 1 + SECRET_KEY_BYTES));
  if (bytes.length === 17 && bytes[0] === 0xdd) return { ok: true, secret: Object.freeze({ mode: "dd", key, domain: null }) };
  if (bytes.length >= 18 && bytes[0] === 0xee) {
    const domain = utf8Decoder.decode(bytes.subarray(1 + SECRET_KEY_BYTES));
    return { ok: true, secret: Object.freeze({ mode: "ee", key, domain }) };
  }
  return { ok: false, error: "not a 16-byte, dd or ee secret" };
}

/** User text (hex or base64url/base64) → a classified secret, or why not. */
export function parseClientSecret(text: string): { ok: true; secret: ClientSecret } | { ok: false; error: string } {
  const bytes = decodeSecretText(text.trim());
  if (bytes === null) return { ok: false, error: "secret is neither hex nor base64" };
  return classifySecretBytes(bytes);
}

/** The binary client secret: key, 0xdd ‖ key, or 0xee ‖ key ‖ domain. */
export function clientSecretBytes(secret: ClientSecret): Uint8Array {
  if (secret.mode === "plain") return Uint8Array.from(secret.key);
  const prefix = secret.mode === "dd" ? 0xdd : 0xee;
  const domain = secret.mode === "ee" ? utf8.encode(secret.domain ?? "") : new Uint8Array(0);
  const out = new Uint8Array(1 + SECRET_KEY_BYTES + domain.length);
  out[0] = prefix;
  out.set(secret.key, 1);
  out.set(domain, 1 + SECRET_KEY_BYTES);
  return out;
}

/** Link text: lower-case hex (`dd…`, `ee…` + hex(domain)), or base64url without padding. */
export function formatClientSecret(secret: ClientSecret, encoding: SecretEncoding = "hex"): string {
  return Buffer.from(clientSecretBytes(secret)).toString(encoding === "hex" ? "hex" : "base64url");
}

export function makeClientSecret(mode: SecretMode, key: Uint8Array, domain: string | null = null): ClientSecret {
  if (key.length !== SECRET_KEY_BYTES) throw new RangeError(`secret key must be ${SECRET_KEY_BYTES} bytes`);
  if (mode === "ee" && !domain) throw new RangeError("an ee secret needs a domain");
  return Object.freeze({ mode, key: Uint8Array.from(key), domain: mode === "ee" ? domain : null });
}

export function generateClientSecret(mode: SecretMode, random: RandomSource, domain: string | null = null): ClientSecret {
  return makeClientSecret(mode, random.bytes(SECRET_KEY_BYTES), domain);
}
