// IP literal parsing and formatting with glibc's rules, so that config hosts resolve without a
// resolver exactly where C's gethostbyname/gethostbyname2 would (inet_aton, inet_pton, inet_ntop).

/**
 * glibc's digits-and-dots shortcut: a name that starts with a digit, holds only digits and dots and
 * does not end in `.` is decided by inet_aton alone, never sent to DNS.
 */
export function isDigitsDots(name: string): boolean {
  return /^[0-9][0-9.]*$/.test(name) && !name.endsWith(".");
}

/** inet_aton on a digits-and-dots name: 1..4 parts, leading 0 = octal; returns the u32 or null. */
export function inetAton(name: string): number | null {
  const parts = name.split(".");
  if (parts.length > 4) return null;
  const values: number[] = [];
  for (const p of parts) {
    if (!/^[0-9]+$/.test(p)) return null;
    const octal = p.length > 1 && p.startsWith("0");
    if (octal && /[89]/.test(p)) return null;
    const v = octal ? parseInt(p, 8) : Number(p);
    if (!Number.isFinite(v) || v > 0xffffffff) return null;
    values.push(v);
  }
  const last = values.pop()!;
  if (values.some((v) => v > 0xff)) return null;
  if (last >= 2 ** (8 * (4 - values.length))) return null;
  let ip = 0;
  values.forEach((v, i) => (ip += v * 2 ** (24 - 8 * i)));
  return ip + last;
}

export function formatIpv4(ip: number): string {
  return [ip >>> 24, (ip >>> 16) & 0xff, (ip >>> 8) & 0xff, ip & 0xff].join(".");
}

/** inet_pton(AF_INET): exactly 4 decimal parts 0..255, no leading zeros. */
export function parseIpv4Strict(text: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return null;
  let ip = 0;
  for (let i = 1; i <= 4; i++) {
    const p = m[i]!;
    if ((p.length > 1 && p.startsWith("0")) || Number(p) > 255) return null;
    ip = ip * 256 + Number(p);
  }
  return ip;
}

/** inet_pton(AF_INET6) into 16 bytes, or null. Accepts one `::` and a trailing dotted IPv4. */
export function parseIpv6(text: string): Uint8Array | null {
  let head = text;
  let v4: number | null = null;
  const lastColon = text.lastIndexOf(":");
  if (text.includes(".")) {
    v4 = parseIpv4Strict(text.slice(lastColon + 1));
    if (v4 === null) return null;
    head = text.slice(0, lastColon + 1);
    if (head.endsWith(":") && !head.endsWith("::")) head = head.slice(0, -1);
  }
  const groupsWanted = v4 === null ? 8 : 6;
  const halves = head.split("::");
  if (halves.length > 2) return null;
  const parseGroups = (s: string): number[] | null => {
    if (s === "") return [];
    const out: number[] = [];
    for (const g of s.split(":")) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const left = parseGroups(halves[0]!);
  const right = halves.length === 2 ? parseGroups(halves[1]!) : [];
  if (!left || !right) return null;
  let groups: number[];
  if (halves.length === 2) {
    const fill = groupsWanted - left.length - right.length;
    if (fill < 1) return null;
    groups = [...left, ...new Array<number>(fill).fill(0), ...right];
  } else {
    if (left.length !== groupsWanted) return null;
    groups = left;
  }
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  if (v4 !== null) {
    out[12] = v4 >>> 24;
    out[13] = (v4 >>> 16) & 0xff;
    out[14] = (v4 >>> 8) & 0xff;
    out[15] = v4 & 0xff;
  }
  return out;
}

/** IPv4-mapped `::ffff:a.b.c.d`, as gethostbyname2(AF_INET6) returns for an IPv4 literal. */
export function ipv4MappedIpv6(ip: number): Uint8Array {
  const out = new Uint8Array(16);
  out[10] = 0xff;
  out[11] = 0xff;
  out[12] = ip >>> 24;
  out[13] = (ip >>> 16) & 0xff;
  out[14] = (ip >>> 8) & 0xff;
  out[15] = ip & 0xff;
  return out;
}

/** inet_ntop(AF_INET6) as glibc prints it: longest zero run (>= 2 groups) as `::`, embedded IPv4 forms. */
export function formatIpv6(bytes: Uint8Array): string {
  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push((bytes[2 * i]! << 8) | bytes[2 * i + 1]!);
  let bestBase = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      bestBase = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestLen < 2) bestBase = -1;
  let out = "";
  for (let i = 0; i < 8; i++) {
    if (bestBase !== -1 && i >= bestBase && i < bestBase + bestLen) {
      if (i === bestBase) out += ":";
      continue;
    }
    if (i !== 0) out += ":";
    if (i === 6 && bestBase === 0 && (bestLen === 6 || (bestLen === 5 && words[5] === 0xffff))) {
      out += `${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
      break;
    }
    out += words[i]!.toString(16);
  }
  if (bestBase !== -1 && bestBase + bestLen === 8) out += ":";
  return out;
}
