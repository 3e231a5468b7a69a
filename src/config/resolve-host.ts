// Host word → address, in C's order (resolver.c kdb_gethostbyname): `[v6]` via AAAA; otherwise our
// own /etc/hosts table first, then names with `.` or `:` go to the system resolver (IPv4, then IPv6).
// Pure: the system resolver is injected; IP literals are decided here, as glibc does, with no lookup.
import type { TargetAddress } from "./types.ts";
import type { HostsTable } from "./hosts-file.ts";
import { formatIpv4, formatIpv6, inetAton, ipv4MappedIpv6, isDigitsDots, parseIpv4Strict, parseIpv6 } from "./ip-address.ts";

/** The system resolver (gethostbyname / gethostbyname2): the first address of `family`, or null. */
export type SystemResolver = (name: string, family: 4 | 6) => Promise<string | null>;

export interface HostResolution {
  /** Parsed /etc/hosts; null when it could not be loaded (then every name goes to `system`). */
  hosts: HostsTable | null;
  system: SystemResolver;
}

/** A resolver that knows no names: only IP literals and /etc/hosts entries resolve. */
export const noSystemResolver: SystemResolver = async () => null;

function v6(bytes: Uint8Array, port: number): TargetAddress {
  return { host: formatIpv6(bytes), port, family: 6 };
}

/** Normalises what a system resolver returned; null if it is not an address of that family. */
function fromSystem(text: string | null, family: 4 | 6): TargetAddress | null {
  if (text === null) return null;
  if (family === 4) {
    const ip = parseIpv4Strict(text);
    return ip === null ? null : { host: formatIpv4(ip), port: 0, family: 4 };
  }
  const bytes = parseIpv6(text);
  return bytes === null ? null : v6(bytes, 0);
}

/** gethostbyname2(name, AF_INET6) as glibc decides it. */
async function byName6(name: string, system: SystemResolver): Promise<TargetAddress | null> {
  if (name === "") return null;
  if (isDigitsDots(name)) {
    const ip = inetAton(name);
    return ip === null ? null : v6(ipv4MappedIpv6(ip), 0);
  }
  // Hex digits, colons and dots (starting with a hex digit or ':'): inet_pton decides, no DNS.
  if (/^[0-9a-fA-F:][0-9a-fA-F:.]*$/.test(name) && name.includes(":") && !name.endsWith(".")) {
    const bytes = parseIpv6(name);
    return bytes === null ? null : v6(bytes, 0);
  }
  return fromSystem(await system(name, 6), 6);
}

/** gethostbyname(name) ?: gethostbyname2(name, AF_INET6). */
async function byName(name: string, system: SystemResolver): Promise<TargetAddress | null> {
  if (isDigitsDots(name)) {
    const ip = inetAton(name);
    return ip === null ? null : { host: formatIpv4(ip), port: 0, family: 4 };
  }
  return fromSystem(await system(name, 4), 4) ?? (await byName6(name, system));
}

/** kdb_gethostbyname. The result's port is 0; the caller sets it. */
export async function resolveHostWord(word: string, deps: HostResolution): Promise<TargetAddress | null> {
  if (word.length >= 2 && word.startsWith("[") && word.endsWith("]") && word.length <= 64) {
    return byName6(word.slice(1, -1), deps.system);
  }
  if (deps.hosts === null) return byName(word, deps.system);
  const hit = deps.hosts.get(word);
  if (hit !== undefined) return { host: hit, port: 0, family: 4 };
  if (word.includes(".") || word.includes(":")) return byName(word, deps.system);
  return null;
}
