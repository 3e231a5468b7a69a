// Doctor, --direct mode: every Telegram DC the relay may dial (the built-in table with --direct-dc
// overrides, IPv6 addresses too with -6) accepts TCP within the deadline; all probed at once.
import type { ProxyOptions } from "../cli/proxy-options.ts";
import { DC_PORT, TELEGRAM_DCS } from "../direct/dc-table.ts";
import type { CheckResult, DoctorDeps } from "./types.ts";

interface DcTargets {
  dc: number;
  addresses: { host: string; port: number }[];
  override: boolean;
}

export function directTargets(o: ProxyOptions): DcTargets[] {
  const out: DcTargets[] = [];
  for (const [dc, entry] of TELEGRAM_DCS) {
    if (o.directDcs.has(dc)) continue;
    const hosts = o.ipv6 ? [...entry.v4, ...entry.v6] : [...entry.v4];
    out.push({ dc, addresses: hosts.map((host) => ({ host, port: DC_PORT })), override: false });
  }
  for (const [dc, a] of o.directDcs) out.push({ dc, addresses: [a], override: true });
  return out.sort((a, b) => a.dc - b.dc);
}

export async function checkDirectDcs(o: ProxyOptions, deps: DoctorDeps, timeoutMs: number): Promise<CheckResult[]> {
  return Promise.all(
    directTargets(o).map(async (t): Promise<CheckResult> => {
      const check = `DC ${t.dc}${t.override ? " (--direct-dc)" : ""}`;
      const probes = await Promise.all(t.addresses.map((a) => deps.tcpConnect(a.host, a.port, timeoutMs)));
      const name = (i: number) => fmt(t.addresses[i]!);
      const ok = probes.flatMap((p, i) => (p.ok ? [`${name(i)} in ${p.ms} ms`] : []));
      const bad = probes.flatMap((p, i) => (p.ok ? [] : [`${name(i)}: ${p.reason}`]));
      if (bad.length === 0) return { status: "PASS", check, detail: `TCP ok: ${ok.join(", ")}` };
      const hint = t.override
        ? "check the --direct-dc address and outbound TCP to it"
        : "check outbound TCP to Telegram (firewall, routing, censorship); consider the middle-end mode";
      if (ok.length > 0) return { status: "WARN", check, detail: `TCP ok: ${ok.join(", ")}; unreachable: ${bad.join("; ")}`, hint };
      return { status: "FAIL", check, detail: `unreachable: ${bad.join("; ")}`, hint };
    }),
  );
}

const fmt = (a: { host: string; port: number }) => (a.host.includes(":") ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`);
