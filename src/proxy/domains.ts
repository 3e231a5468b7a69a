// Start-up preparation of the -D domains: resolve each name (/etc/hosts, then DNS), probe it with 20
// TLS hellos, fall back to C's default profile on any failure, with C's log lines. Mirrors
// net-tcp-rpc-ext-server.c: tcp_rpc_init_proxy_domains / update_domain_info (client-side.md §4.2).
// Unlike C (one domain after another, 5 s each) all domains are prepared in parallel under one 5 s bound.
import { parseHostsFile } from "../config/hosts-file.ts";
import { readEtcHosts, systemResolver } from "../config/load.ts";
import { resolveHostWord, type SystemResolver } from "../config/resolve-host.ts";
import type { RandomSource } from "../crypto/random.ts";
import type { Logger } from "../log.ts";
import { fallbackProfile, PROBE_TIMEOUT_MS, type DomainProfile } from "../transport/domain-probe.ts";
import { probeDomain, type ProbeConnect } from "../transport/domain-probe-run.ts";

export interface PreparedDomain {
  readonly name: string;
  /** The fronting target's address; null when the name did not resolve (fronting then closes). */
  readonly address: string | null;
  readonly profile: DomainProfile;
  readonly probed: boolean;
}

export interface DomainPrepDeps {
  readonly log: Logger;
  readonly random: RandomSource;
  readonly keyShare: () => Uint8Array;
  /** Name → address; default: /etc/hosts then the system resolver, as kdb_gethostbyname. */
  readonly resolve?: (name: string) => Promise<string | null>;
  readonly connect?: ProbeConnect;
  /** Port probed (443 in production). */
  readonly port?: number;
  /** The whole preparation's bound (C: 5 s per domain). */
  readonly timeoutMs?: number;
}

export function defaultDomainResolver(system: SystemResolver = systemResolver): (name: string) => Promise<string | null> {
  let hosts: Promise<ReturnType<typeof parseHostsFile>> | null = null;
  return async (name) => {
    hosts ??= readEtcHosts().then((b) => (b === null ? null : parseHostsFile(b)));
    const r = await resolveHostWord(name, { hosts: await hosts, system });
    return r?.host ?? null;
  };
}

/** proxy_connection's target: the probed address, port 80 when the client came in on local port 80, else 443. */
export function frontingTargetOf(d: PreparedDomain | undefined, localPort: number): { host: string; port: number } | null {
  if (!d || d.address === null) return null;
  return { host: d.address, port: localPort === 80 ? 80 : 443 };
}

const FALLBACK_LINE = (d: string): string => `Failed to update response data about ${d}, so default response settings wiil be used`;

/** Prepares every domain; never throws, never takes (much) longer than `timeoutMs`. */
export async function prepareDomains(domains: readonly string[], deps: DomainPrepDeps): Promise<Map<string, PreparedDomain>> {
  const timeoutMs = deps.timeoutMs ?? PROBE_TIMEOUT_MS;
  const deadline = performance.now() + timeoutMs;
  const resolve = deps.resolve ?? defaultDomainResolver();
  const unique = [...new Set(domains)];
  const prepared = await Promise.all(unique.map((d) => prepareOne(d, deadline, resolve, deps)));
  return new Map(prepared.map((p) => [p.name, p]));
}

async function prepareOne(
  domain: string,
  deadline: number,
  resolve: (name: string) => Promise<string | null>,
  deps: DomainPrepDeps,
): Promise<PreparedDomain> {
  const fallback = (address: string | null): PreparedDomain => {
    deps.log.info(FALLBACK_LINE(domain));
    return { name: domain, address, profile: fallbackProfile(deps.random), probed: false };
  };
  const address = await withDeadline(resolve(domain).catch(() => null), deadline);
  if (address === null) {
    deps.log.info(`Failed to resolve host ${domain}`);
    return fallback(null);
  }
  const started = performance.now();
  const r = await probeDomain({
    domain,
    address,
    port: deps.port,
    random: deps.random,
    keyShare: deps.keyShare,
    connect: deps.connect,
    timeoutMs: Math.max(1, deadline - started),
  });
  if (!r.ok) {
    deps.log.info(r.reason.startsWith("no answer") ? `Failed to check domain ${domain} in 5 seconds` : r.reason);
    return fallback(address);
  }
  const p = r.profile;
  if (p.mixedOrder) deps.log.info(`Upstream server ${domain} uses non-deterministic extension order`);
  const secs = ((performance.now() - started) / 1000).toFixed(3);
  deps.log.info(
    `Successfully checked domain ${domain} in ${secs} seconds: is_reversed_extension_order = ${+p.reversedOrder}, ` +
      `server_hello_encrypted_size = ${p.encryptedSize}, use_random_encrypted_size = ${+p.randomised}`,
  );
  if (p.reversedOrder && p.encryptedSize <= 1250) {
    deps.log.info(`Multiple encrypted client data packets are unsupported, so handshake with ${domain} will not be fully emulated`);
  }
  return {
    name: domain,
    address,
    profile: { reversedOrder: p.reversedOrder, encryptedSize: p.encryptedSize, randomised: p.randomised },
    probed: true,
  };
}

function withDeadline<T>(p: Promise<T | null>, deadline: number): Promise<T | null> {
  const ms = deadline - performance.now();
  if (ms <= 0) return Promise.resolve(null);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<null>((r) => (timer = setTimeout(() => r(null), ms)));
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
