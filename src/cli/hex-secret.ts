// Decoding of a 16-byte secret written as 32 hex digits (-S, -P, --mtproto-secret-file), as
// mtproto-proxy.c f_parse_option / the fork's decode_hex_secret check it: length first, then digits.

export type HexSecret =
  | { ok: true; bytes: Uint8Array }
  | { ok: false; reason: "length" }
  /** The first character that is not a hex digit. */
  | { ok: false; reason: "digit"; char: string };

export const SECRET_HEX_DIGITS = 32;

export function decodeHexSecret(value: string): HexSecret {
  // C compares strlen(), i.e. bytes: a non-ASCII character counts for more than one.
  if (new TextEncoder().encode(value).length !== SECRET_HEX_DIGITS) return { ok: false, reason: "length" };
  const bytes = new Uint8Array(SECRET_HEX_DIGITS / 2);
  for (let i = 0; i < SECRET_HEX_DIGITS; i++) {
    const c = value[i]!;
    if (!/^[0-9a-fA-F]$/.test(c)) return { ok: false, reason: "digit", char: c };
    bytes[i >> 1] = (bytes[i >> 1]! << 4) | parseInt(c, 16);
  }
  return { ok: true, bytes };
}
