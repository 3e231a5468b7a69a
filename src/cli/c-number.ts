// The libc conversions C's option handlers use (atoi, atof, sscanf "%d", inet_pton AF_INET), with
// glibc's edge behaviour on LP64: leading whitespace, signs, trailing junk ignored, overflow rules.
// Pure; used by cli/options.ts so `-c 10x` means what it means to the C binary.

const C_SPACE = "[ \\t\\n\\v\\f\\r]*";
const INT_PREFIX = new RegExp(`^${C_SPACE}([+-]?\\d+)`);

/** strtol(s, NULL, 10) clamped to long, then truncated to int, as atoi does on LP64 glibc. */
export function atoi(s: string): number {
  const m = INT_PREFIX.exec(s);
  if (!m) return 0;
  let v = BigInt(m[1]!);
  const max = (1n << 63n) - 1n;
  if (v > max) v = max;
  if (v < -max - 1n) v = -max - 1n;
  return Number(BigInt.asIntN(32, v));
}

/** strtod prefix (decimal, hex float, inf, nan); 0 when nothing converts. */
export function atof(s: string): number {
  const t = s.replace(/^[ \t\n\v\f\r]+/, "");
  const sign = t[0] === "-" ? -1 : 1;
  const body = t[0] === "-" || t[0] === "+" ? t.slice(1) : t;
  if (/^inf/i.test(body)) return sign * Infinity;
  if (/^nan/i.test(body)) return NaN;
  const hex = /^0x((?:[0-9a-f]+\.?[0-9a-f]*|\.[0-9a-f]+))(?:p([+-]?\d+))?/i.exec(body);
  if (hex) {
    const [intPart = "", fracPart = ""] = hex[1]!.split(".");
    let v = 0;
    for (const c of intPart + fracPart) v = v * 16 + parseInt(c, 16);
    v /= 16 ** fracPart.length;
    return sign * v * 2 ** Number(hex[2] ?? 0);
  }
  const dec = /^(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?/i.exec(body);
  return dec ? sign * Number(dec[0]) : 0;
}

/** One scanf `%d` conversion at the start of `s`: skips whitespace; null on a matching failure. */
function scanInt(s: string): { value: number; rest: string } | null {
  const m = INT_PREFIX.exec(s);
  if (!m) return null;
  // glibc converts through long and stores into int: out-of-range values wrap.
  const v = BigInt.asIntN(64, BigInt(m[1]!));
  return { value: Number(BigInt.asIntN(32, v)), rest: s.slice(m[0].length) };
}

/**
 * sscanf(s, "%d:%d", &a, &b): the count of conversions, or -1 (EOF) when the input is empty or blank,
 * plus the values converted.
 */
export function scanPortRange(s: string): { count: -1 | 0 | 1 | 2; start: number; end: number } {
  if (/^[ \t\n\v\f\r]*$/.test(s)) return { count: -1, start: 0, end: 0 };
  const a = scanInt(s);
  if (!a) return { count: 0, start: 0, end: 0 };
  if (a.rest[0] !== ":") return { count: 1, start: a.value, end: 0 };
  const b = scanInt(a.rest.slice(1));
  if (!b) return { count: 1, start: a.value, end: 0 };
  return { count: 2, start: a.value, end: b.value };
}

export type MemoryLimit = { ok: true; bytes: number } | { ok: false; reason: "number" } | { ok: false; reason: "suffix"; suffix: string };

/** server-functions.c parse_memory_limit: sscanf "%lld%c", then k/m/g/t (any case) shift by 10/20/30/40. */
export function parseMemoryLimit(s: string): MemoryLimit {
  const m = INT_PREFIX.exec(s);
  if (!m) return { ok: false, reason: "number" };
  let v = BigInt(m[1]!);
  const max = (1n << 63n) - 1n;
  if (v > max) v = max;
  if (v < -max - 1n) v = -max - 1n;
  const c = s[m[0].length];
  // `c | 0x20`: a missing character (NUL) and a space mean "no suffix"; letters of either case match.
  const code = c === undefined ? 0x20 : c.charCodeAt(0) | 0x20;
  const shift = ({ 0x20: 0n, 0x6b: 10n, 0x6d: 20n, 0x67: 30n, 0x74: 40n } as Record<number, bigint>)[code];
  if (shift === undefined) return { ok: false, reason: "suffix", suffix: c ?? "" };
  return { ok: true, bytes: Number(BigInt.asIntN(64, v << shift)) };
}

/** inet_pton(AF_INET): exactly four decimal octets 0..255, no leading zeros, nothing else. */
export function isIpv4Literal(s: string): boolean {
  const parts = s.split(".");
  if (parts.length !== 4) return false;
  return parts.every((p) => /^(?:0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255);
}
