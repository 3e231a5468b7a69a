// Doctor: each -D domain resolves, does not resolve to this host (fronting would connect back to us:
// a loop that burns CPU), and answers a TLS ClientHello the way the start-up probe needs
// (domain-probe-run.ts, one connection instead of twenty).
import type { CheckResult, DoctorDeps } from "./types.ts";
import { probeDomain } from "../transport/domain-probe-run.ts";
import { x25519PublicKey } from "../transport/faketls-response.ts";

export async function checkDomains(domains: readonly string[], deps: DoctorDeps, timeoutMs: number): Promise<CheckResult[]> {
  return Promise.all([...new Set(domains)].map((d) => checkDomain(d, deps, timeoutMs)));
}

async function checkDomain(domain: string, deps: DoctorDeps, timeoutMs: number): Promise<CheckResult> {
  const check = `domain ${domain}`;
  const addresses = await withDeadline(deps.resolveAll(domain), timeoutMs, []);
  if (addresses.length === 0) {
    return { status: "FAIL", check, detail: "does not resolve", hint: "-D must be a real public TLS site name that this host can resolve" };
  }
  const self = addresses.filter((a) => deps.isSelfAddress(a));
  if (self.length > 0) {
    return {
      status: "FAIL",
      check,
      detail: `resolves to ${self.join(", ")}, an address of this host: fronted connections would loop back into the proxy`,
      hint: "pick a domain whose DNS does not point at this server, or fix /etc/hosts so it resolves to the real site",
    };
  }
  const address = addresses.find((a) => !a.includes(":")) ?? addresses[0]!;
  const r = await probeDomain({
    domain,
    address,
    port: deps.tlsPort,
    random: deps.random,
    keyShare: x25519PublicKey,
    connect: deps.probeConnect,
    connections: 1,
    timeoutMs,
  });
  if (!r.ok) {
    return {
      status: "FAIL",
      check,
      detail: `resolves to ${addresses.join(", ")}, but TLS on ${address}:${deps.tlsPort} failed: ${r.reason}`,
      hint: "the domain must answer TLS 1.3 on port 443; the proxy falls back to a generic profile and fronting fails",
    };
  }
  return {
    status: "PASS",
    check,
    detail: `resolves to ${addresses.join(", ")}; TLS answer on ${address}:${deps.tlsPort} (${r.profile.encryptedSize}-byte encrypted record)`,
  };
}

function withDeadline<T>(p: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(fallback), ms);
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}
