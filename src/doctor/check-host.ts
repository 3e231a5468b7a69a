// Doctor: what this host must allow — enough file descriptors for -c/-C, the -H and -p ports free to
// bind, and with -6 a usable IPv6 stack (dual-stack listen, a global address, outbound IPv6 TCP).
import type { ProxyOptions } from "../cli/proxy-options.ts";
import type { ProxyConfig } from "../config/types.ts";
import { DC_PORT, TELEGRAM_DCS } from "../direct/dc-table.ts";
import type { CheckResult, DoctorDeps } from "./types.ts";

/** Listeners, log file, DNS, stats, timers: descriptors a worker needs besides connections. */
const FD_SLACK = 64;
/** A -p range is tried in order, as C does; the doctor gives up after this many busy ports. */
const MAX_PORT_TRIES = 64;

/** Soft and hard "Max open files" from /proc/self/limits (Infinity for unlimited), or null. */
export function parseOpenFilesLimit(text: string): { soft: number; hard: number } | null {
  const m = /^Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/m.exec(text);
  if (!m) return null;
  const n = (s: string) => (s === "unlimited" ? Infinity : Number(s));
  return { soft: n(m[1]!), hard: n(m[2]!) };
}

/** Descriptors one worker may need at -c/-C: a client costs one fd, two in --direct mode (its DC link). */
export function neededDescriptors(o: ProxyOptions, config: ProxyConfig | null): number {
  const perClient = o.direct ? 2 : 1;
  const middle = config ? config.targets.reduce((s, t) => s + t.maxConnections, 0) : 0;
  const connections = Math.min(o.maxConnections, o.maxSpecialConnections * perClient + middle);
  return connections + o.httpPorts.length + FD_SLACK;
}

export async function checkFdLimit(o: ProxyOptions, config: ProxyConfig | null, deps: DoctorDeps): Promise<CheckResult> {
  const check = "open files limit";
  const text = await deps.readLimits();
  const limit = text === null ? null : parseOpenFilesLimit(text);
  if (limit === null) return { status: "WARN", check, detail: "cannot read /proc/self/limits", hint: "make sure `ulimit -n` covers -c/-C" };
  const need = neededDescriptors(o, config);
  const fmt = (n: number) => (n === Infinity ? "unlimited" : String(n));
  const detail = `soft ${fmt(limit.soft)}, hard ${fmt(limit.hard)}; -C ${o.maxSpecialConnections} clients${o.direct ? " (2 fds each in --direct mode)" : ""} need about ${need}`;
  if (limit.soft >= need) return { status: "PASS", check, detail };
  const clients = Math.max(0, Math.floor((limit.soft - FD_SLACK - o.httpPorts.length) / (o.direct ? 2 : 1)));
  return {
    status: "WARN",
    check,
    detail: `${detail}: accepts fail with EMFILE beyond ~${clients} clients`,
    hint: `raise it to ${need} (LimitNOFILE=${need} in the systemd unit, or ulimit -n ${need}${limit.hard < need ? " after raising the hard limit" : ""}), or lower -C to ${clients}`,
  };
}

export async function checkPorts(o: ProxyOptions, deps: DoctorDeps): Promise<CheckResult[]> {
  // Where the proxy binds them: client ports on [::] with -6, else --address or any; stats on loopback.
  const host = o.ipv6 ? "::" : (o.address ?? "0.0.0.0");
  const shown = host.includes(":") ? `[${host}]` : host;
  const statsHost = "127.0.0.1";
  const results: CheckResult[] = [];
  if (o.httpPorts.length === 0) {
    results.push({ status: "WARN", check: "client ports", detail: "no -H port: clients have nothing to connect to", hint: "add -H 443 (or another port)" });
  }
  for (const port of o.httpPorts) {
    const why = await deps.tryListen(host, port);
    results.push(
      why === null
        ? { status: "PASS", check: `client port ${port}`, detail: `${shown}:${port} is free` }
        : { status: "FAIL", check: `client port ${port}`, detail: `cannot bind ${shown}:${port}: ${why}`, hint: portHint(why, port) },
    );
  }
  if (o.port !== null) {
    const { start, end } = o.port;
    const check = start === end ? `stats port ${start}` : `stats port ${start}:${end}`;
    let last = "";
    let free: number | null = null;
    for (let p = start; p <= end && p < start + MAX_PORT_TRIES; p++) {
      const why = await deps.tryListen(statsHost, p);
      if (why === null) {
        free = p;
        break;
      }
      last = why;
    }
    results.push(
      free !== null
        ? { status: "PASS", check, detail: `${statsHost}:${free} is free` }
        : { status: "FAIL", check, detail: `cannot bind ${statsHost}:${start}${start === end ? "" : `..${end}`}: ${last}`, hint: portHint(last, start) },
    );
  }
  return results;
}

function portHint(why: string, port: number): string {
  if (why.includes("in use")) return `another process listens on ${port} (is the proxy already running? see ss -ltnp 'sport = :${port}')`;
  if (why.includes("permission")) return "ports below 1024 need root (then -u to drop privileges) or CAP_NET_BIND_SERVICE";
  return "check --address and the port";
}

/** fe80::/10 link-local and fc00::/7 unique-local cannot be reached from the Internet. */
export function isGlobalIpv6(address: string): boolean {
  const a = address.toLowerCase();
  return !(a === "::1" || a === "::" || /^fe[89ab]/.test(a) || /^f[cd]/.test(a) || a.startsWith("::ffff:"));
}

export async function checkIpv6(config: ProxyConfig | null, deps: DoctorDeps, timeoutMs: number): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const bind = await deps.tryListen("::", 0);
  results.push(
    bind === null
      ? { status: "PASS", check: "IPv6 listen", detail: "[::] accepts a dual-stack listener" }
      : { status: "FAIL", check: "IPv6 listen", detail: `cannot bind [::]: ${bind}`, hint: "enable IPv6 in the kernel (net.ipv6.conf.all.disable_ipv6=0) or drop -6" },
  );
  const global = deps.interfaceAddresses().filter((i) => i.family === 6 && !i.internal && isGlobalIpv6(i.address));
  results.push(
    global.length > 0
      ? { status: "PASS", check: "IPv6 address", detail: `global: ${global.map((i) => i.address).join(", ")}` }
      : { status: "WARN", check: "IPv6 address", detail: "no global IPv6 address on any interface: IPv6 clients cannot reach this host", hint: "configure IPv6 on the host, or drop -6" },
  );
  const v6Target = config?.targets.find((t) => t.address.family === 6)?.address;
  const host = v6Target?.host ?? TELEGRAM_DCS.get(2)!.v6[0]!;
  const port = v6Target?.port ?? DC_PORT;
  const r = await deps.tcpConnect(host, port, timeoutMs);
  results.push(
    r.ok
      ? { status: "PASS", check: "IPv6 outbound", detail: `TCP to [${host}]:${port} in ${r.ms} ms` }
      : { status: "WARN", check: "IPv6 outbound", detail: `TCP to [${host}]:${port} failed: ${r.reason}`, hint: "check IPv6 routing and firewall, or drop -6" },
  );
  return results;
}
