// MTProxy's own IPv4-only /etc/hosts reader (config-and-cli.md §A.3 "Host"); mirrors resolver.c
// parse_hosts / kdb_load_hosts, quirks included: no `#` comments after the address (they become
// names), `\r` stays part of a name, the first address given for a name wins, names are case-sensitive.

/** name → dotted IPv4. */
export type HostsTable = ReadonlyMap<string, string>;

/** kdb_load_hosts refuses files of 16 MiB or more (then only the system resolver is used). */
export const MAX_HOSTS_SIZE = 1 << 24;

const latin1 = new TextDecoder("latin1");

function isCSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

/** Parses hosts-file bytes; null when C would not load it (too large). A NUL ends the text. */
export function parseHostsFile(data: Uint8Array): HostsTable | null {
  if (data.length >= MAX_HOSTS_SIZE) return null;
  const at = (i: number): number => (i < data.length ? data[i]! : 0);
  const table = new Map<string, string>();
  const skipBlanks = (p: number): number => {
    while (at(p) === 0x20 || at(p) === 0x09) p++;
    return p;
  };
  // strtoul(ptr, &end, 10) limited to what readbyte needs: value 0..255 or -1.
  const readByte = (p: number): [number, number] => {
    let q = p;
    while (isCSpace(at(q))) q++;
    let negative = false;
    if (at(q) === 0x2b || at(q) === 0x2d) negative = at(q++) === 0x2d;
    const digits = q;
    let v = 0;
    while (at(q) >= 0x30 && at(q) <= 0x39) v = Math.min(v * 10 + at(q++) - 0x30, 0x1_0000_0000);
    if (q === digits) return [-1, p];
    if (negative && v !== 0) return [-1, p];
    return v > 255 ? [-1, p] : [v, q];
  };

  let ptr = 0;
  while (at(ptr) !== 0) {
    ptr = skipBlanks(ptr);
    let ip = 0;
    let i = 0;
    for (; i < 4; i++) {
      const [v, next] = readByte(ptr);
      if (v < 0) break;
      ptr = next;
      ip = ip * 256 + v;
      if (i < 3 && at(ptr++) !== 0x2e) break;
    }
    if (i === 4 && (at(ptr) === 0x20 || at(ptr) === 0x09) && ip !== 0) {
      const dotted = [ip >>> 24, (ip >>> 16) & 0xff, (ip >>> 8) & 0xff, ip & 0xff].join(".");
      for (;;) {
        const start = skipBlanks(ptr);
        let end = start;
        while (at(end) !== 0 && at(end) !== 0x20 && at(end) !== 0x09 && at(end) !== 0x0a) end++;
        ptr = end;
        if (end === start) break;
        const name = latin1.decode(data.subarray(start, end));
        if (end - start < 128 && !table.has(name)) table.set(name, dotted);
      }
    }
    // skiptoeoln
    while (at(ptr) !== 0 && at(ptr) !== 0x0a) ptr++;
    if (at(ptr) !== 0) ptr++;
  }
  return table;
}
