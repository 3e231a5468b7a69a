// Address encodings the middle-end link needs (backend-rpc.md §0, §4.3): IPv4 as the C host-order
// integer, IPv6 as 16 network-order bytes, IPv4-mapped detection, and --nat-info translation
// (nat_translate_ip in net-connections.c).
import type { NatRule } from "../cli/proxy-options.ts";

/** "a.b.c.d" → a<<24|b<<16|c<<8|d (unsigned), or null when the text is not a dotted IPv4. */
export function ipv4ToHostInt(text: string): number | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  let v = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    v = v * 256 + n;
  }
  return v >>> 0;
}

export function hostIntToIpv4(v: number): string {
  return `${(v >>> 24) & 255}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

/** IPv6 text (with optional ::, embedded dotted tail, %zone) → 16 bytes, or null. */
export function ipv6ToBytes(text: string): Uint8Array | null {
  let s = text;
  const zone = s.indexOf("%");
  if (zone >= 0) s = s.slice(0, zone);
  if (s.startsWith("[") && s.endsWith("]")) s = s.slice(1, -1);
  const words: number[] = [];
  const parseGroups = (part: string): number[] | null => {
    if (part === "") return [];
    const out: number[] = [];
    const groups = part.split(":");
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i]!;
      if (i === groups.length - 1 && g.includes(".")) {
        const v4 = ipv4ToHostInt(g);
        if (v4 === null) return null;
        out.push(v4 >>> 16, v4 & 0xffff);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
        out.push(parseInt(g, 16));
      }
    }
    return out;
  };
  const dbl = s.indexOf("::");
  if (dbl >= 0) {
    if (s.indexOf("::", dbl + 1) >= 0) return null;
    const head = parseGroups(s.slice(0, dbl));
    const tail = parseGroups(s.slice(dbl + 2));
    if (!head || !tail || head.length + tail.length > 7) return null;
    words.push(...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail);
  } else {
    const all = parseGroups(s);
    if (!all || all.length !== 8) return null;
    words.push(...all);
  }
  const out = new Uint8Array(16);
  words.forEach((w, i) => {
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
}

/** An endpoint as the C code holds it: an IPv4 host integer, or 0 and the IPv6 bytes. */
export interface Endpoint {
  /** Host-order IPv4, 0 for a real IPv6 peer. */
  ipv4: number;
  ipv6: Uint8Array;
  port: number;
}

const V4_MAPPED_PREFIX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

/** Parses a socket address; `::ffff:a.b.c.d` counts as IPv4 (alloc_new_connection). */
export function toEndpoint(address: string, port: number): Endpoint {
  const v4 = ipv4ToHostInt(address);
  if (v4 !== null) return { ipv4: v4, ipv6: new Uint8Array(16), port };
  const v6 = ipv6ToBytes(address) ?? new Uint8Array(16);
  if (V4_MAPPED_PREFIX.every((b, i) => v6[i] === b)) {
    const ip = ((v6[12]! << 24) | (v6[13]! << 16) | (v6[14]! << 8) | v6[15]!) >>> 0;
    return { ipv4: ip, ipv6: new Uint8Array(16), port };
  }
  return { ipv4: 0, ipv6: v6, port };
}

export interface NatTable {
  translate(ipv4: number): number;
}

/** First rule whose local address equals `ip` wins; IPv6 (0) is never translated. */
export function createNatTable(rules: readonly NatRule[]): NatTable {
  const pairs: [number, number][] = [];
  for (const r of rules) {
    const l = ipv4ToHostInt(r.local);
    const g = ipv4ToHostInt(r.global);
    if (l !== null && g !== null) pairs.push([l, g]);
  }
  return {
    translate(ip) {
      if (ip === 0) return 0;
      for (const [l, g] of pairs) if (l === ip) return g;
      return ip;
    },
  };
}
