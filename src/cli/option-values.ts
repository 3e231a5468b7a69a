// Parsers for the structured option values: -H port lists (mtproto-proxy.c f_parse_option 'H'),
// -p ports (engine-net.c f_parse_option_net 'p'), --nat-info (net-connections.c net_add_nat_info)
// and our --direct-dc. Each returns a value or the error text; usage and exit codes are options.ts's.
import { isIpv4Literal, scanPortRange } from "./c-number.ts";
import type { NatRule, PortRange } from "./proxy-options.ts";

/** MAX_HTTP_LISTEN_PORTS */
export const MAX_HTTP_PORTS = 128;
/** MAX_NAT_INFO_RULES */
export const MAX_NAT_INFO_RULES = 16;

export type HttpPortsResult =
  | { ok: true; ports: number[] }
  /** `usage`: C prints the usage text and exits 2; `range`: C fails an assertion (exit 1). */
  | { ok: false; kind: "usage" | "range" | "too-many"; port?: number };

/**
 * `p[,p…]` appended to `already` ports: each port starts with 1–9, a trailing comma is fine,
 * anything else after a port is an error.
 */
export function parseHttpPorts(value: string, already: number): HttpPortsResult {
  const ports: number[] = [];
  let rest = value;
  if (rest === "") return { ok: false, kind: "usage" };
  while (/^[1-9]/.test(rest)) {
    if (already + ports.length >= MAX_HTTP_PORTS) return { ok: false, kind: "too-many" };
    const digits = /^\d+/.exec(rest)![0];
    const port = Number(digits);
    if (port > 65535) return { ok: false, kind: "range", port };
    ports.push(port);
    rest = rest.slice(digits.length);
    if (rest[0] !== ",") break;
    rest = rest.slice(1);
  }
  return rest === "" ? { ok: true, ports } : { ok: false, kind: "usage" };
}

/** `port` or `start:end` (sscanf "%d:%d"; trailing text after the numbers is ignored, as in C). */
export function parsePortOption(value: string): { ok: true; range: PortRange } | { ok: false; outOfRange: boolean } {
  const r = scanPortRange(value);
  if (r.count === 1) {
    if (r.start <= 0) return { ok: false, outOfRange: false };
    if (r.start > 65535) return { ok: false, outOfRange: true };
    return { ok: true, range: { start: r.start, end: r.start, isRange: false } };
  }
  if (r.count === 2) {
    if (r.start <= 0 || r.start > r.end) return { ok: false, outOfRange: false };
    if (r.end > 65535) return { ok: false, outOfRange: true };
    return { ok: true, range: { start: r.start, end: r.end, isRange: true } };
  }
  return { ok: false, outOfRange: false };
}

/** `<local>:<global>`, split at the last colon, both IPv4 literals. The error is C's fprintf text. */
export function parseNatInfo(value: string, already: number): { ok: true; rule: NatRule } | { ok: false; message: string } {
  const colon = value.lastIndexOf(":");
  if (colon < 0) return { ok: false, message: "expected <local-addr>:<global-addr> in --nat-info" };
  const local = value.slice(0, colon);
  const global = value.slice(colon + 1);
  for (const host of [local, global]) {
    if (!isIpv4Literal(host)) return { ok: false, message: `cannot translate host '${host}' in --nat-info` };
  }
  if (already >= MAX_NAT_INFO_RULES) return { ok: false, message: "too many rules in --nat-info" };
  return { ok: true, rule: { local, global } };
}

export interface DirectDc {
  dc: number;
  /** Without brackets for IPv6. */
  host: string;
  port: number;
}

/** `<dc>=<host>:<port>`; dc is a non-zero integer (media DCs are negative); an IPv6 host is `[...]`. */
export function parseDirectDc(value: string): { ok: true; entry: DirectDc } | { ok: false; message: string } {
  const bad = (why: string) => ({ ok: false as const, message: `invalid --direct-dc '${value}': ${why}` });
  const eq = value.indexOf("=");
  if (eq < 0) return bad("expected <dc>=<host>:<port>");
  const dcText = value.slice(0, eq);
  if (!/^-?[1-9]\d{0,8}$/.test(dcText)) return bad(`DC '${dcText}' is not a non-zero integer`);
  const target = value.slice(eq + 1);
  let host: string;
  let portText: string;
  if (target.startsWith("[")) {
    const close = target.indexOf("]");
    if (close < 0 || target[close + 1] !== ":") return bad("expected [<ipv6>]:<port>");
    host = target.slice(1, close);
    portText = target.slice(close + 2);
    if (!/^[0-9a-fA-F:.]+$/.test(host) || !host.includes(":")) return bad(`'${host}' is not an IPv6 address`);
  } else {
    const colon = target.lastIndexOf(":");
    if (colon < 0) return bad("expected <dc>=<host>:<port>");
    host = target.slice(0, colon);
    portText = target.slice(colon + 1);
    if (host.includes(":")) return bad("write an IPv6 host in brackets: [<ipv6>]:<port>");
    if (!/^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(host)) return bad(`'${host}' is not a host name or IPv4 address`);
  }
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : 0;
  if (port < 1 || port > 65535) return bad(`port '${portText}' is not in 1..65535`);
  return { ok: true, entry: { dc: Number(dcText), host, port } };
}
