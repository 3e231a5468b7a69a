// The real world behind DoctorDeps: getaddrinfo, interfaces, fetch, Bun sockets, /proc/self/limits.
import { lookup } from "node:dns/promises";
import { readFile } from "node:fs/promises";
import { networkInterfaces } from "node:os";
import { systemRandom } from "../crypto/random.ts";
import { bunConnector } from "../rpc/socket.ts";
import { bunProbeConnect } from "../transport/domain-probe-run.ts";
import type { DoctorDeps, TcpProbe } from "./types.ts";

/** Loopback, unspecified, or IPv4-mapped forms of them: always "this host". */
export function isLoopbackOrUnspecified(address: string): boolean {
  const a = unmapIpv4(address.toLowerCase());
  return a.startsWith("127.") || a === "0.0.0.0" || a === "::1" || a === "::";
}

export function unmapIpv4(address: string): string {
  return address.startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address;
}

function interfaceAddresses(): { address: string; family: 4 | 6; internal: boolean }[] {
  return Object.values(networkInterfaces())
    .flatMap((list) => list ?? [])
    .map((i) => ({ address: i.address.toLowerCase(), family: i.family === "IPv6" ? (6 as const) : (4 as const), internal: i.internal }));
}

function tcpConnect(host: string, port: number, timeoutMs: number): Promise<TcpProbe> {
  const started = performance.now();
  return new Promise<TcpProbe>((resolve) => {
    let done = false;
    const finish = (r: TcpProbe): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(r);
    };
    const timer = setTimeout(() => finish({ ok: false, reason: `no TCP connection in ${timeoutMs} ms` }), timeoutMs);
    Bun.connect({
      hostname: host,
      port,
      socket: {
        open(s) {
          finish({ ok: true, ms: Math.round(performance.now() - started) });
          s.end();
        },
        data() {},
        connectError: (_s, err) => finish({ ok: false, reason: err.message }),
        error: (_s, err) => finish({ ok: false, reason: err.message }),
      },
    }).then(
      (s) => {
        if (done) s.end();
      },
      (err: unknown) => finish({ ok: false, reason: err instanceof Error ? err.message : String(err) }),
    );
  });
}

async function tryListen(host: string, port: number): Promise<string | null> {
  try {
    const l = Bun.listen({ hostname: host, port, socket: { data() {} } });
    l.stop(true);
    return null;
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === "EADDRINUSE") return "address already in use";
    if (code === "EACCES") return "permission denied";
    return e instanceof Error ? e.message : String(e);
  }
}

async function readLimits(): Promise<string | null> {
  try {
    return await readFile("/proc/self/limits", "utf8");
  } catch (e) {
    if (e instanceof Error) return null;
    throw e;
  }
}

export function systemDoctorDeps(): DoctorDeps {
  return {
    async resolveAll(name) {
      try {
        return (await lookup(name, { all: true })).map((a) => a.address);
      } catch (e) {
        if (e instanceof Error) return [];
        throw e;
      }
    },
    isSelfAddress(address) {
      const a = unmapIpv4(address.toLowerCase());
      return isLoopbackOrUnspecified(a) || interfaceAddresses().some((i) => i.address === a);
    },
    interfaceAddresses,
    fetch: (url, init) => fetch(url, init),
    nowMs: () => Date.now(),
    middleConnector: bunConnector,
    tcpConnect,
    probeConnect: bunProbeConnect,
    tlsPort: 443,
    tryListen,
    readLimits,
    random: systemRandom,
    pid: process.pid,
  };
}
