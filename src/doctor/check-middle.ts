// Doctor: each middle-end target of proxy-multi.conf answers TCP and completes the RPC handshake
// (nonce, keys, handshake: the same MiddleConnection the pool uses), bounded and all at once.
import type { ProxyOptions } from "../cli/proxy-options.ts";
import type { ProxySecret } from "../config/proxy-secret.ts";
import type { ConfigTarget, ProxyConfig } from "../config/types.ts";
import { createLogger } from "../log.ts";
import { createNatTable } from "../rpc/address.ts";
import { MiddleConnection } from "../rpc/connection.ts";
import { createMiddleCounters } from "../rpc/counters.ts";
import { makeProcessId } from "../rpc/handshake.ts";
import type { MiddleConnector } from "../rpc/socket.ts";
import type { CheckResult, DoctorDeps } from "./types.ts";

const UNREACHABLE_HINT = "check outbound TCP to it (firewall, routing); if it persists, proxy-multi.conf may be stale: re-download it";
const HANDSHAKE_HINT = "a middle-end that refuses the handshake usually means a wrong or stale proxy secret (--aes-pwd) or a skewed clock";

export async function checkMiddleEnds(
  o: ProxyOptions,
  config: ProxyConfig,
  secret: ProxySecret | null,
  deps: DoctorDeps,
  timeoutMs: number,
): Promise<CheckResult[]> {
  const dcsOf = (t: ConfigTarget) => [...config.clusters.values()].filter((c) => c.targets.includes(t)).map((c) => c.id);
  return Promise.all(
    config.targets.map(async (t): Promise<CheckResult> => {
      const check = `middle-end ${t.key} (DC ${dcsOf(t).join(", ")})`;
      if (secret === null) {
        const tcp = await deps.tcpConnect(t.address.host, t.address.port, timeoutMs);
        return tcp.ok
          ? { status: "WARN", check, detail: `TCP ok in ${tcp.ms} ms; handshake not tried without a proxy secret`, hint: "pass --aes-pwd with Telegram's proxy secret" }
          : { status: "FAIL", check, detail: `unreachable: ${tcp.reason}`, hint: UNREACHABLE_HINT };
      }
      const r = await tryHandshake(t, o, secret, deps, timeoutMs);
      if (r.ok) return { status: "PASS", check, detail: `RPC handshake completed in ${r.ms} ms` };
      if (!r.tcp) return { status: "FAIL", check, detail: `unreachable: ${r.reason}`, hint: UNREACHABLE_HINT };
      return { status: "FAIL", check, detail: `TCP ok, RPC handshake failed: ${r.reason}`, hint: HANDSHAKE_HINT };
    }),
  );
}

type Handshake = { ok: true; ms: number } | { ok: false; tcp: boolean; reason: string };

function tryHandshake(t: ConfigTarget, o: ProxyOptions, secret: ProxySecret, deps: DoctorDeps, timeoutMs: number): Promise<Handshake> {
  const started = performance.now();
  let tcp = false;
  // Note when TCP came up, to tell "unreachable" from "refused the handshake".
  const connector: MiddleConnector = (target, events) =>
    deps.middleConnector(target, {
      ...events,
      open(s) {
        tcp = true;
        events.open(s);
      },
    });
  return new Promise<Handshake>((resolve) => {
    let done = false;
    const finish = (r: Handshake): void => {
      if (done) return;
      done = true;
      conn.close("doctor: check done");
      resolve(r);
    };
    const conn = new MiddleConnection(
      { host: t.address.host, port: t.address.port },
      {
        secret: { bytes: secret.bytes, keySelect: secret.keySelect },
        nat: createNatTable(o.natInfo),
        proxyTag: o.proxyTag,
        pid: makeProcessId(0, -1, deps.pid, Math.floor(deps.nowMs() / 1000)),
        connector,
        log: createLogger({ verbosity: 0, write: () => undefined }),
        counters: createMiddleCounters(),
        random: deps.random,
        nowMs: () => performance.now(),
        unixSec: () => Math.floor(deps.nowMs() / 1000),
        handshakeTimeoutMs: timeoutMs,
        pingIntervalMs: 0,
        silenceTimeoutMs: 0,
        highWaterBytes: 1 << 20,
        lowWaterBytes: 256 << 10,
        maxClientPendingBytes: 1 << 20,
        maxQueuedBytes: 1 << 20,
      },
      {
        ready: () => finish({ ok: true, ms: Math.round(performance.now() - started) }),
        closed: (_c, reason) => finish({ ok: false, tcp, reason }),
      },
    );
    conn.start();
  });
}
