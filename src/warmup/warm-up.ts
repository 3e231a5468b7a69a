// Beyond C: the start-up warm-up of the message path. Before a serving process opens its ports it
// runs its own client → proxy → middle-end → client path for a moment over loopback: the real data
// plane (its own counters, a 127.0.0.1 port the OS picks) and a real MiddlePool linked to an echo
// middle end (echo-middle-end.ts), driven by a few clients of each transport (warm-client.ts).
// Why: JSC runs new code in its interpreter and baseline tiers until each hot function has been
// called often enough to be compiled by the DFG (on a background thread). A proxy restarted under
// load met its reconnecting clients with that slow code for its first ~2 s (docs/benchmarks.md,
// tenth session); warmed, it meets them with the code it will run for the rest of its life.
// Nothing here touches the process's stats, its -H ports or the real middle ends.
import type { ProxyOptions } from "../cli/proxy-options.ts";
import { scanConfig, buildConfig } from "../config/parse.ts";
import { checkProxySecret, MIN_PWD_LEN, type ProxySecret } from "../config/proxy-secret.ts";
import type { ProxyConfig } from "../config/types.ts";
import { systemRandom, type RandomSource } from "../crypto/random.ts";
import { createLogger, type Logger } from "../log.ts";
import { createDataPlane, loopbackPlaneOptions, type DataPlane } from "../proxy/data-plane.ts";
import type { MiddleEnd } from "../proxy/middle-contract.ts";
import { makeProcessId } from "../rpc/handshake.ts";
import { MiddlePool } from "../rpc/pool.ts";
import type { ClientTransport } from "../transport/codec.ts";
import { startEchoMiddleEnd } from "./echo-middle-end.ts";
import { runWarmClient, type WarmClientCounts } from "./warm-client.ts";

/** MTPROXY_WARMUP_MS: how long the clients run (0 turns the warm-up off). */
export const WARMUP_ENV = "MTPROXY_WARMUP_MS";
export const DEFAULT_WARMUP_MS = 300;
const MAX_WARMUP_MS = 10_000;
/** Bounds on everything around the clients' run: the links' handshakes, the closes. */
const SETUP_LIMIT_MS = 1_000;
const TRANSPORTS: readonly ClientTransport[] = ["intermediate", "abridged", "padded"];
const CLIENTS_PER_TRANSPORT = 4;
/** The cluster the warm-up's config names (a client's DC index picks it, as for real ones). */
const WARM_DC = 2;

export interface WarmUpReport {
  readonly connections: number;
  readonly roundTrips: number;
  /** Connections that ended other than by their client's hang-up (0 when all is well). */
  readonly broken: number;
  readonly answered: number;
  readonly elapsedMs: number;
}

/** The warm-up's duration from the environment: DEFAULT_WARMUP_MS, or the variable's whole ms (0 = off). */
export function warmUpMs(env: Record<string, string | undefined>): number {
  const v = env[WARMUP_ENV];
  if (v === undefined || v === "") return DEFAULT_WARMUP_MS;
  return /^\d+$/.test(v) ? Math.min(Number(v), MAX_WARMUP_MS) : DEFAULT_WARMUP_MS;
}

export interface WarmUpOptions {
  readonly durationMs: number;
  /** -P: requests carry the tag block as the real ones will. */
  readonly proxyTag: ProxyOptions["proxyTag"];
  /**
   * The middle end the sessions see, made of the warm-up's pool as the process makes its own (the
   * stats taps around it): the warmed code then meets the same object shapes in real traffic.
   */
  readonly middleOf?: (pool: MiddlePool) => MiddleEnd;
  readonly random?: RandomSource;
}

/** Runs the warm-up; throws only if the loopback rig cannot be set up (the caller logs and goes on). */
export async function warmUpMessagePath(o: WarmUpOptions): Promise<WarmUpReport> {
  const started = performance.now();
  const random = o.random ?? systemRandom;
  const quiet: Logger = createLogger({ verbosity: 0, write: () => {} });
  const secret = warmUpProxySecret(random);
  const clientSecret = random.bytes(16);
  const me = startEchoMiddleEnd(secret, random);
  let pool: MiddlePool | null = null;
  let plane: DataPlane | null = null;
  try {
    const p = (pool = new MiddlePool({
      config: loopbackConfig(me.port),
      secret,
      options: { proxyTag: o.proxyTag, natInfo: [], pingIntervalSec: 0 },
      log: quiet,
      pid: makeProcessId(0x7f000001, -1, process.pid, Math.floor(Date.now() / 1000)),
      random,
    }));
    plane = createDataPlane({
      options: loopbackPlaneOptions([clientSecret]),
      log: quiet,
      middle: o.middleOf ? o.middleOf(p) : p,
      direct: null,
      reusePort: false,
      random,
      reclaimer: null,
    });
    p.start();
    await plane.start();
    if (!(await within(SETUP_LIMIT_MS, () => p.snapshot().connectionsReady > 0))) throw new Error("the loopback middle end never became ready");
    const port = plane.listeningPorts[0]!;
    const deadline = performance.now() + o.durationMs;
    const runs: Promise<WarmClientCounts>[] = [];
    for (const transport of TRANSPORTS) {
      for (let i = 0; i < CLIENTS_PER_TRANSPORT; i++) runs.push(runWarmClient({ port, secret: clientSecret, transport, dc: WARM_DC, random, deadline }));
    }
    const counts = await Promise.race([Promise.all(runs), Bun.sleep(o.durationMs + SETUP_LIMIT_MS).then(() => [])]);
    const sum = (k: keyof WarmClientCounts): number => counts.reduce((a, c) => a + c[k], 0);
    return { connections: sum("connections"), roundTrips: sum("roundTrips"), broken: sum("broken"), answered: me.answered, elapsedMs: performance.now() - started };
  } finally {
    pool?.stop();
    if (plane) await Promise.race([plane.stop(), Bun.sleep(SETUP_LIMIT_MS)]);
    me.stop();
    // its garbage collected now, not in a full collection that clients wait out later (and RSS drops)
    Bun.gc(true);
  }
}

/** A random --aes-pwd of the smallest size, read as the real one is. */
function warmUpProxySecret(random: RandomSource): ProxySecret {
  const bytes = random.bytes(MIN_PWD_LEN);
  bytes[0] |= 1; // key_select (the first 4 bytes) must not be 0
  const checked = checkProxySecret(bytes, "warm-up");
  if (!checked.ok) throw new Error("warm-up proxy secret rejected");
  return checked.secret;
}

/** `proxy_for 2 127.0.0.1:<port>;` as a parsed proxy-multi.conf. */
function loopbackConfig(port: number): ProxyConfig {
  const text = new TextEncoder().encode(`default ${WARM_DC};\nproxy_for ${WARM_DC} 127.0.0.1:${port};\n`);
  const scan = scanConfig(text, "warm-up");
  if (!scan.ok) throw new Error(scan.error);
  const meta = { fileName: "warm-up", bytes: text.length, md5: "", loadedAt: 0 };
  return buildConfig(scan, () => ({ host: "127.0.0.1", port, family: 4 }), meta);
}

async function within(limitMs: number, done: () => boolean): Promise<boolean> {
  const end = performance.now() + limitMs;
  while (!done()) {
    if (performance.now() > end) return false;
    await Bun.sleep(2);
  }
  return true;
}
